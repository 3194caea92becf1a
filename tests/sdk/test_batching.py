from personalize_sdk import Event
from personalize_sdk.batching import chunks, event_batches


def make(session, user=None, n=1):
    return [Event("View", session_id=session, user_id=user, item_id=str(i)) for i in range(n)]


def test_23_events_of_one_session_make_calls_of_10_10_and_3_in_order():
    events = make("s1", n=23)
    batches = event_batches(events)
    assert [len(b) for b in batches] == [10, 10, 3]
    assert [e for b in batches for e in b] == events


def test_two_sessions_never_share_a_call():
    a, b = make("s1", n=4), make("s2", n=4)
    interleaved = [e for pair in zip(a, b) for e in pair]
    batches = event_batches(interleaved)
    assert batches == [a, b]


def test_the_same_session_with_another_user_is_another_call():
    guest, member = make("s1", None, 2), make("s1", "u1", 2)
    assert event_batches(guest + member) == [guest, member]


def test_mixed_batches_when_the_backend_allows():
    events = make("s1", n=3) + make("s2", n=3)
    assert event_batches(events, 4, one_session_per_call=False) == [events[:4], events[4:]]


def test_chunks():
    assert list(chunks([1, 2, 3, 4, 5], 2)) == [[1, 2], [3, 4], [5]]
    assert list(chunks([], 10)) == []
