"""Value converters: supervisord's accepted spellings, and minder's stricter ones."""

from __future__ import annotations

import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.config import values
from minder.config.diagnostics import ValueProblem
from minder.model.specs import AutoRestart


@pytest.mark.parametrize("text", ["yes", "TRUE", "on", "1", " true "])
def test_boolean_true(text: str) -> None:
    assert values.boolean(text) is True


@pytest.mark.parametrize("text", ["no", "False", "OFF", "0"])
def test_boolean_false(text: str) -> None:
    assert values.boolean(text) is False


@pytest.mark.parametrize("text", ["t", "y", "", "maybe"])
def test_boolean_rejects(text: str) -> None:
    with pytest.raises(ValueProblem, match="not a valid boolean value"):
        values.boolean(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("50MB", 50 * 1024**2), ("5 MB", 5 * 1024**2), ("5kb", 5120), ("1GB", 1024**3),
     ("1024", 1024), ("0", 0), ("-1", -1)],
)
def test_byte_size(text: str, expected: int) -> None:
    assert values.byte_size(text) == expected


@pytest.mark.parametrize("text", ["5M", "5B", "1.5MB", "5TB", ""])
def test_byte_size_rejects_with_lowercased_value(text: str) -> None:
    with pytest.raises(ValueProblem, match="invalid literal for int"):
        values.byte_size(text)


@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["", "KB", "mb", "Gb"]),
       st.sampled_from(["", " "]))
def test_byte_size_property(number: int, suffix: str, space: str) -> None:
    factor = {"": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}[suffix.lower()]
    assert values.byte_size(f"{number}{space}{suffix}") == number * factor


@pytest.mark.parametrize(("text", "expected"), [("022", 0o22), ("22", 0o22), ("0o22", 0o22),
                                                ("777", 0o777)])
def test_octal(text: str, expected: int) -> None:
    assert values.octal(text) == expected


@pytest.mark.parametrize("text", ["8", "0x1", "abc"])
def test_octal_rejects(text: str) -> None:
    with pytest.raises(ValueProblem, match="can not be converted to an octal type"):
        values.octal(text)


@given(st.integers(min_value=0, max_value=0o7777))
def test_octal_round_trips(mode: int) -> None:
    assert values.octal(f"{mode:o}") == mode
    assert values.octal(f"0{mode:o}") == mode


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TERM", 15), ("SIGTERM", 15), ("term", 15), ("SIGterm", 15), (" hup ", 1), ("15", 15),
     ("IOT", 6), ("CLD", 17), ("KILL", 9), ("0", 0), ("RTMIN", signal.SIGRTMIN),
     (str(int(signal.SIGRTMAX)), signal.SIGRTMAX)],
)
def test_signal_number(text: str, expected: int) -> None:
    assert values.signal_number(text) == expected


def test_signal_rejects_unknown_name_with_suggestion() -> None:
    with pytest.raises(ValueProblem, match="value 'TREM' is not a valid signal name") as info:
        values.signal_number("TREM")
    assert info.value.suggestion == "did you mean 'TERM'?"


@pytest.mark.parametrize("text", ["65", "_DFL", "DFL", "+15", "１５"])
def test_signal_rejects(text: str) -> None:
    with pytest.raises(ValueProblem):
        values.signal_number(text)


@given(st.sampled_from(sorted(signal.Signals, key=int)))
def test_every_signal_name_and_number_round_trips(sig: signal.Signals) -> None:
    assert values.signal_number(sig.name) == sig
    assert values.signal_number(sig.name[3:].lower()) == sig
    assert values.signal_number(str(int(sig))) == sig


@pytest.mark.parametrize(("text", "expected"), [("0", (0,)), ("0,2", (0, 2)), ("0, 2", (0, 2)),
                                                ("", ()), ("255", (255,))])
def test_exit_codes(text: str, expected: tuple[int, ...]) -> None:
    assert values.exit_codes(text) == expected


@pytest.mark.parametrize("text", ["-1", "256", "a", "0,,2", "0,256"])
def test_exit_codes_reject(text: str) -> None:
    with pytest.raises(ValueProblem, match=f"not a valid list of exit codes: '{text}'"):
        values.exit_codes(text)


@given(st.lists(st.integers(min_value=0, max_value=255), min_size=1, max_size=10))
def test_exit_codes_round_trip(codes: list[int]) -> None:
    assert values.exit_codes(",".join(map(str, codes))) == tuple(codes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", AutoRestart.ALWAYS), ("yes", AutoRestart.ALWAYS), ("false", AutoRestart.NEVER),
     ("0", AutoRestart.NEVER), ("unexpected", AutoRestart.UNEXPECTED),
     ("UNEXPECTED", AutoRestart.UNEXPECTED)],
)
def test_auto_restart(text: str, expected: AutoRestart) -> None:
    assert values.auto_restart(text) is expected


def test_auto_restart_rejects() -> None:
    with pytest.raises(ValueProblem, match="invalid 'autorestart' value 'sometimes'"):
        values.auto_restart("sometimes")


def test_log_level_rejects_warning_and_suggests_warn() -> None:
    assert values.log_level("WARN") == "warn"
    with pytest.raises(ValueProblem, match="bad logging level name 'warning'") as info:
        values.log_level("warning")
    assert info.value.suggestion == "did you mean 'warn'?"


def test_list_of_strings_keeps_empty_items() -> None:
    assert values.list_of_strings("a, ,b") == ["a", "", "b"]
    assert values.list_of_strings("") == []


@pytest.mark.parametrize(("text", "char"), [("a b", " "), ("a:b", ":"), ("a/b", "/")])
def test_names_reject_space_colon_slash(text: str, char: str) -> None:
    with pytest.raises(ValueProblem, match=f"because of character: '{char}'"):
        values.process_or_group_name(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9001", ("", 9001)), ("*:9001", ("", 9001)), (":9001", ("", 9001)),
     ("LocalHost:9001", ("localhost", 9001)), ("127.0.0.1:1", ("127.0.0.1", 1))],
)
def test_inet_address(text: str, expected: tuple[str, int]) -> None:
    assert values.inet_address(text) == expected


@pytest.mark.parametrize(("text", "message"), [("host:", "no port number specified"),
                                               ("0", "0 is below lower bound"),
                                               ("65536", "above upper bound"),
                                               ("x:y", "invalid literal")])
def test_inet_address_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueProblem, match=message):
        values.inet_address(text)


@given(st.integers(min_value=1, max_value=65535))
def test_inet_port_round_trips(port: int) -> None:
    assert values.inet_address(f"127.0.0.1:{port}") == ("127.0.0.1", port)
    assert values.inet_address(str(port)) == ("", port)


# user= -----------------------------------------------------------------------

def test_user_by_name_and_by_uid() -> None:
    assert (values.user("root").uid, values.user("root").gid) == (0, 0)
    assert values.user("0").uid == 0
    assert values.user("www-data").uid == values.user("33").uid


@pytest.mark.parametrize("text", ["+0", "0_0", "０", "٠", "0.0", "-0"])
def test_uid_must_be_plain_ascii_digits_never_root(text: str) -> None:
    with pytest.raises(ValueProblem, match="Invalid user name") as info:
        values.user(text)
    assert "ASCII digits" in (info.value.suggestion or "")


def test_unknown_user_is_an_error() -> None:
    with pytest.raises(ValueProblem, match="Invalid user name nosuchuser"):
        values.user("nosuchuser")


def test_unknown_uid_is_an_error() -> None:
    with pytest.raises(ValueProblem, match="Invalid user id 4000000"):
        values.user("4000000")


def test_user_and_group() -> None:
    assert values.user_and_group("root") == (0, 0)
    assert values.user_and_group("root:www-data")[1] == values.user("www-data").gid
    with pytest.raises(ValueProblem, match="Invalid user:group definition"):
        values.user_and_group("root:nosuchgroup")


# environment= -----------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [("A=1,B=2", (("A", "1"), ("B", "2"))),
     ("A=\"x,y\",B='q'", (("A", "x,y"), ("B", "q"))),
     ("A=1,", (("A", "1"),)),
     ("Q=1;R=2", (("Q", "1"), ("R", "2"))),
     ('F=""', (("F", ""),)),
     ("U=/usr/bin:/bin", (("U", "/usr/bin:/bin"),)),
     ("A = 1", (("A", "1"),)),
     ("A=1 ,\n B=2", (("A", "1"), ("B", "2"))),
     ("", ())],
)
def test_environment_as_supervisord_reads_it(text: str, expected: object) -> None:
    assert values.environment(text) == expected


@pytest.mark.parametrize(
    ("text", "fix"),
    [("E=a b", 'E="a b"'), ("S=$HOME", 'S="$HOME"'), ("P=x y z", 'P="x y z"'),
     ("K=%x", 'K="%x"'), ("E=a b,F=1", 'E="a b"')],
)
def test_environment_data_loss_is_an_error_suggesting_quotes(text: str, fix: str) -> None:
    with pytest.raises(ValueProblem, match="is cut short") as info:
        values.environment(text)
    assert fix in (info.value.suggestion or "")
    assert "supervisord silently uses" in (info.value.note or "")


def test_dollar_variable_suggests_env_expansion() -> None:
    with pytest.raises(ValueProblem) as info:
        values.environment("S=$HOME")
    assert '%(ENV_HOME)s' in (info.value.suggestion or "")


@pytest.mark.parametrize("text", ["F=", "M", "=x"])
def test_environment_incomplete_pairs(text: str) -> None:
    with pytest.raises(ValueProblem, match="Unexpected end of key/value pairs"):
        values.environment(text)


_env_key = st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True)
_env_value = st.text(alphabet=st.characters(codec="ascii", exclude_characters="\"\\\r\n\x00"),
                     max_size=12)


@given(st.lists(st.tuples(_env_key, _env_value), max_size=5))
def test_quoted_values_always_round_trip(pairs: list[tuple[str, str]]) -> None:
    text = ",".join(f'{k}="{v}"' for k, v in pairs)
    assert values.environment(text) == tuple(pairs)
