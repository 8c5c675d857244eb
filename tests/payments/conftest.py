import pytest

from tests.payments.factories import finance_user, seed_rates


@pytest.fixture
def rates(db):
    seed_rates()


@pytest.fixture
def finance(db):
    return finance_user()


@pytest.fixture
def finance_admin(finance):
    """A Finance staff user with TOTP, as the admin requires."""
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(finance, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    return finance
