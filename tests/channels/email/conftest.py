from tests.fakes.dovecot import dovecot, dovecot_server  # noqa: F401 - fixtures
from tests.fakes.smtp_server import smtp_server, smtp_server_auth  # noqa: F401 - fixtures
