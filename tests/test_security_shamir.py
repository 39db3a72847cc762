import itertools

import pytest

from kirok.security.errors import ShareError
from kirok.security.keys import MasterKey
from kirok.security.shamir import SHARE_PREFIX, Share, combine, decode_share, encode_share, split


def test_any_two_of_three_restore_the_key() -> None:
    master = MasterKey.generate()
    shares = split(master, shares=3, threshold=2)
    assert len(set(shares)) == 3
    for pair in itertools.permutations(shares, 2):
        assert combine(list(pair)) == master
    assert combine(shares) == master


def test_one_share_does_not_restore_and_says_so() -> None:
    master = MasterKey.generate()
    for share in split(master):
        with pytest.raises(ShareError, match="2 different shares are needed"):
            combine([share])
    with pytest.raises(ShareError, match="1 given"):
        combine([split(master)[0]] * 2)  # the same share twice is still one share


def test_share_reveals_neither_half_of_the_key() -> None:
    master = MasterKey.generate()
    raw = master.secret_bytes()
    for text in split(master):
        share = decode_share(text)
        assert raw[:16] not in share.points and raw[16:] not in share.points


def test_three_of_five() -> None:
    master = MasterKey.generate()
    shares = split(master, shares=5, threshold=3)
    assert combine([shares[4], shares[0], shares[2]]) == master
    with pytest.raises(ShareError, match="3 different shares"):
        combine(shares[:2])


def test_share_text_is_typeable_and_forgiving_about_layout() -> None:
    master = MasterKey.generate()
    a, b, _ = split(master)
    assert a.startswith(f"{SHARE_PREFIX}-")
    assert set(a[len(SHARE_PREFIX) :]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567-")
    messy = "  " + a.lower().replace("-", " ").replace(" ", "\n", 3) + "\n"
    assert combine([messy, b]) == master
    info = decode_share(a)
    assert (info.threshold, info.count, info.key_id) == (2, 3, master.key_id)
    assert f"of 3 (2 needed) for master key {master.key_id}" in info.describe()


def _mistype(text: str, at: int) -> str:
    chars = list(text)
    while chars[at] == "-":
        at += 1
    chars[at] = "B" if chars[at] != "B" else "C"
    return "".join(chars)


def test_a_mistyped_share_is_detected_and_named() -> None:
    master = MasterKey.generate()
    a, b, _ = split(master)
    for position in range(len(SHARE_PREFIX) + 1, len(b)):  # every letter of the share
        if b[position] == "-":
            continue
        with pytest.raises(ShareError, match="share #2 given: share checksum does not match"):
            combine([a, _mistype(b, position)])


def test_truncated_foreign_or_garbage_share_is_detected() -> None:
    a, b, _ = split(MasterKey.generate())
    with pytest.raises(ShareError, match=r"has \d+ letters, not 77"):
        combine([a, b[:-5]])
    with pytest.raises(ShareError, match="not a kirok key share"):
        combine([a, "hello"])
    with pytest.raises(ShareError, match="not in a share"):
        combine([a, "KS1-" + "!" * 77])
    with pytest.raises(ShareError, match="no shares"):
        combine([])


def test_shares_of_different_backups_are_not_mixed() -> None:
    a1, _, _ = split(MasterKey.generate())
    _, b2, _ = split(MasterKey.generate())
    with pytest.raises(ShareError, match="different key backups"):
        combine([a1, b2])


def test_two_backups_of_the_same_key_do_not_combine_silently() -> None:
    master = MasterKey.generate()
    first, second = split(master), split(master)
    with pytest.raises(ShareError, match="do not reproduce"):
        combine([first[0], second[1]])


@pytest.mark.parametrize("n, k", [(3, 1), (2, 3), (256, 2)])
def test_invalid_parameters(n: int, k: int) -> None:
    with pytest.raises(ValueError):
        split(MasterKey.generate(), shares=n, threshold=k)


def test_a_damaged_share_beyond_the_threshold_is_not_ignored() -> None:
    master = MasterKey.generate()
    a, b, c = split(master)
    other = decode_share(split(master)[2])  # same key and header, points of another backup
    forged = encode_share(Share(other.threshold, other.count, 3, other.key_id, other.points))
    assert combine([a, b, c]) == master
    with pytest.raises(ShareError, match="share 3 does not belong"):
        combine([a, b, forged])


@pytest.mark.parametrize("threshold, count, index", [(1, 3, 1), (4, 3, 1), (2, 3, 0), (2, 3, 4)])
def test_inconsistent_share_header_is_rejected(threshold: int, count: int, index: int) -> None:
    share = decode_share(split(MasterKey.generate())[0])
    bad = encode_share(Share(threshold, count, index, share.key_id, share.points))
    with pytest.raises(ShareError, match="inconsistent"):
        decode_share(bad)
