"""What lets several worker processes share one installation: named leases and the job scheduler."""
