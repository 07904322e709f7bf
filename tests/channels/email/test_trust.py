from channels.email.trust import dmarc_pass

ID = "mx.beispiel.example"


def test_dmarc_pass_in_topmost_header_of_our_server() -> None:
    headers = [
        f"{ID}; dkim=pass header.d=example.org; spf=pass smtp.mailfrom=example.org; "
        "dmarc=pass (p=none dis=none) header.from=example.org",
    ]
    assert dmarc_pass(headers, ID)


def test_forged_header_of_another_id_is_ignored() -> None:
    headers = [
        f"{ID}; dkim=none; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=example.org",
        "mx.evil.example; dmarc=pass header.from=example.org",
    ]
    assert not dmarc_pass(headers, ID)


def test_only_the_topmost_of_our_headers_counts() -> None:
    headers = [
        f"{ID}; dmarc=fail header.from=example.org",
        f"{ID}; dmarc=pass header.from=example.org",  # injected below ours by the sender
    ]
    assert not dmarc_pass(headers, ID)


def test_aligned_dkim_or_spf_pass_without_dmarc_result() -> None:
    assert dmarc_pass([f"{ID} 1; dkim=pass (2048-bit key) header.d=mail.example.org header.i=@mail.example.org"],
                      ID, from_domain="example.org")
    assert dmarc_pass([f"{ID}; spf=pass (sender IP ok) smtp.mailfrom=bounce@example.org"], ID,
                      from_domain="max@example.org")
    assert not dmarc_pass([f"{ID}; dkim=pass header.d=other.example; spf=pass smtp.mailfrom=other.example"],
                          ID, from_domain="example.org")


def test_missing_header_is_no_pass() -> None:
    assert not dmarc_pass([], ID)
    assert not dmarc_pass(["garbage without structure"], ID)
