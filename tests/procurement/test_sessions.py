"""Sessions in the database read through the cache (`procurement.sessions`, the production
set-up with Redis): a signed-in page reads its session from the cache, a logout ends it in
both, cache entries are short-lived, and a cache that fails never fails a page."""

from unittest import mock

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.connection import ConnectionProxy

from procurement import sessions
from procurement.core.caching import SESSIONS
from procurement.sessions import SessionStore
from tests.services import BrokenCache

# The sessions' own cache, as the store reads it (SESSION_CACHE_ALIAS).
cache = ConnectionProxy(caches, SESSIONS)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("_cached_db_sessions")]


@pytest.fixture
def _cached_db_sessions():
    with override_settings(SESSION_ENGINE="procurement.sessions"):
        yield


class RecordingCache:
    """The real (local memory) cache, noting each timeout it is given."""

    def __init__(self):
        self.timeouts = []

    def set(self, key, value, timeout):
        self.timeouts.append(timeout)
        return cache.set(key, value, timeout)

    def __getattr__(self, name):
        return getattr(cache, name)


def _session_cache(replacement):
    """Sessions use `replacement` as their cache; everything else keeps the real one."""
    return mock.patch.object(sessions, "caches", {settings.SESSION_CACHE_ALIAS: replacement})


def _signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_signed_in_page_reads_its_session_from_the_cache(owner):
    client = _signed_in(owner)
    key = client.cookies["sessionid"].value
    assert cache.get(SessionStore.cache_key_prefix + key) is not None  # written on login

    with mock.patch.object(SessionStore, "_get_session_from_db") as from_db:
        assert client.get(reverse("dashboard")).status_code == 200
    from_db.assert_not_called()


def test_a_session_missing_from_the_cache_is_read_from_the_database(owner):
    client = _signed_in(owner)
    cache.clear()

    assert client.get(reverse("dashboard")).status_code == 200
    assert cache.get(SessionStore.cache_key_prefix + client.cookies["sessionid"].value) is not None


def test_logout_ends_the_session_in_the_database_and_the_cache(owner):
    client = _signed_in(owner)
    key = client.cookies["sessionid"].value
    page = client.get(reverse("dashboard"))
    assert page.status_code == 200

    client.post(reverse("account_logout"))

    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(SessionStore.cache_key_prefix + key) is None
    replay = Client()
    replay.cookies["sessionid"] = key
    assert replay.get(reverse("dashboard")).status_code == 302  # to the login page


def test_cache_entries_live_minutes_not_weeks(owner):
    recording = RecordingCache()
    with _session_cache(recording):
        store = SessionStore()
        store["k"] = "v"
        store.save()
        SessionStore(store.session_key).load()

    assert recording.timeouts
    assert all(0 < timeout <= sessions.CACHE_SECONDS for timeout in recording.timeouts)


def test_with_the_cache_down_people_still_sign_in_browse_and_sign_out(owner, caplog):
    with _session_cache(BrokenCache()):
        client = _signed_in(owner)
        key = client.cookies["sessionid"].value
        assert client.get(reverse("dashboard")).status_code == 200
        client.post(reverse("account_logout"))
        assert client.get(reverse("dashboard")).status_code == 302

    assert not Session.objects.filter(session_key=key).exists()
    assert "Session cache" in caplog.text


class FailingWrites(RecordingCache):
    """The real cache, but every `set` fails: a cached copy must not outlive the change."""

    def set(self, key, value, timeout):
        raise ConnectionError("cache write failed")


def test_a_failed_cache_write_drops_the_old_copy(owner):
    store = SessionStore()
    store["company"] = 1
    store.save()
    assert cache.get(store.cache_key) == {"company": 1}

    with _session_cache(FailingWrites()):
        changed = SessionStore(store.session_key)
        changed["company"] = 2
        changed.save()

    assert cache.get(store.cache_key) is None
    assert SessionStore(store.session_key).load() == {"company": 2}


def test_new_session_keys_are_checked_in_the_database_when_the_cache_is_down():
    existing = SessionStore()
    existing.save()
    with _session_cache(BrokenCache()):
        store = SessionStore()
        assert store.exists(existing.session_key)
        assert not store.exists("no-such-session-key")


def test_sessions_signed_in_before_the_backends_were_renamed_stay_signed_in(owner):
    from django.contrib.auth import BACKEND_SESSION_KEY

    client = _signed_in(owner)
    session = client.session
    session[BACKEND_SESSION_KEY] = "allauth.account.auth_backends.AuthenticationBackend"
    session.save()

    assert client.get(reverse("dashboard")).status_code == 200
    assert client.session[BACKEND_SESSION_KEY] == (
        "procurement.accounts.backends.AuthenticationBackend"
    )


def test_a_key_naming_no_session_is_forgotten_so_saving_makes_a_new_one():
    stale = "nosuchsession" + "0" * 19  # a stale or forged cookie
    store = SessionStore(stale)
    assert store.load() == {}

    store["company"] = 1
    store.save()

    assert store.session_key != stale
    assert SessionStore(store.session_key).load() == {"company": 1}
