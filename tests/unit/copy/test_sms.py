import pytest

from core.copy.sms import is_gsm7, sms_length, to_gsm7


@pytest.mark.parametrize(("n", "segments"), [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)])
def test_gsm7_segments(n, segments):
    info = sms_length("a" * n)
    assert info.encoding == "GSM-7"
    assert info.units == n
    assert info.segments == segments


@pytest.mark.parametrize(("n", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segments(n, segments):
    info = sms_length("储" * n)
    assert info.encoding == "UCS-2"
    assert info.segments == segments


def test_extension_characters_cost_two_septets():
    assert sms_length("€").units == 2
    assert sms_length("{}[]~\\|^").units == 16
    assert sms_length("a" * 159 + "€").segments == 2  # 161 septets
    assert sms_length("a" * 158 + "€").segments == 1  # exactly 160


def test_escape_pair_is_not_split_across_segments():
    # 152 plain septets then an escape pair: the pair moves to segment 2, which then holds 2 + 1
    info = sms_length("a" * 152 + "€" + "a" * 10)
    assert info.segments == 2
    assert info.units == 164


def test_one_emoji_or_curly_quote_switches_the_whole_message_to_ucs2():
    assert sms_length("Hello 😀").encoding == "UCS-2"
    assert sms_length("It’s here").encoding == "UCS-2"
    assert sms_length("😀").units == 2  # a surrogate pair
    assert sms_length("a" * 69 + "😀").segments == 2  # 71 code units


def test_to_gsm7_forces_the_alphabet():
    text = to_gsm7("It’s “great” — really… 😀")
    assert is_gsm7(text)
    assert text == "It's \"great\" - really..."
    assert sms_length(text).encoding == "GSM-7"
