"""The checks of tests/infra/replica_scenario.py, named here so that collecting the tests does
not set Django up a second time with the replica's settings."""

CHECK_NAMES = [
    "check_reports_read_from_replica",
    "check_merchant_sees_own_payment_at_once",
    "check_lag_never_shows_stale_balance",
]
