"""The LCD texts of the codes (meter.core.codes, docs/codes.md): what a board loads to show a
code.  Their console words are in meter.core.codenames, which only the reports load.

The numbers themselves live in meter.core.codes, which the firmware never imports: each module
compiles in the codes it gives as `_NAME = const(n)` (issue 11: on the deploy path ~100 code
names took about 4 KB of a board's heap and pushed its qstr pool over a doubling).
host_tests/test_codes.py holds every such constant and every row here to meter.core.codes.
"""

# One row per code, "<code> <LCD text, at most 16 characters>", in ONE string: as tuples of
# strings the table took about 9 KB of a board's heap on the deploy path, as one string (with
# the words) about 3 KB, the texts alone about half (issue 11).  Looked up only when the LCD
# changes, never per control step.
_TEXTS = """
0 SUPPLY ON
1 NO CREDIT - CUT
2 PROTECTED NO CUT
3 NO CUT: HOURS
4 NO CUT: WEEKEND
5 NO CUT: HOLIDAY
6 NO CUT:HOLIDAY-1
7 NO CUT: WINTER
8 NO CUT: REGISTER
9 NO CUT: MEDICAL
10 NO CUT: WEATHER
11 NO CUT: NOTICE
12 NO CUT: TOO LATE
14 POWER LIMITED
15 LIMITER TRIPPED
16 PRESS # = POWER
17 LOW CREDIT
18 VERY LOW CREDIT
19 EMERGENCY: B #
20 EMERGENCY CREDIT
21 CUT CANCELLED
22 SUPPLY UNLOCKED
30 CLOCK NOT SET
31 CLOCK STOPPED
32 CLOCK WENT BACK
33 CLOCK JUMPED
34 RTC NOT ANSWER
35 RTC BAD DATA
36 CLOCK TOO EARLY
37 CLOCK TOO LATE
38 CLOCK DRIFTING
39 CLOCK OK
100 CLOCK UNSURE
101 CLOCK CONFLICT
102 TIME PROVISIONED
103 NETWORK TIME
104 RTC CORRECTED
105 TIME CONFIRMED
40 TOKEN ACCEPTED
41 INVALID TOKEN
42 TOKEN USED
43 TOKEN TOO OLD
44 KEYPAD LOCKED
45 WRONG LENGTH
46 KEY CHANGED
47 TIME SET
48 RECONNECT OK
49 NO-CUT SET
50 ALERTS CLEARED
51 EMERG. SETTINGS
52 ENTRY TIMED OUT
53 TOKEN TIME BAD
54 TOKEN REFUSED
60 RELAY FAULT
61 STORAGE ERROR
62 MEMORY RESET
63 WATCHDOG RESET
64 DISPLAY ERROR
110 NO KEY: NO CUT
111 ENERGY RESTORED
70 TOP-UP
71 DEBT RECOVERED
72 EMERGENCY TAKEN
73 STANDING CHARGE
80 BAD COMMAND
81 TEST MODE OFF
90 STARTED
91 SUPPLY OFF
92 SUPPLY ON
93 BUTTON
94 CONFIG CHANGED
95 PROTECT CHANGED
120 NO CUT: COLD
121 NO CUT: TOO COLD
122 COLD HOLD ON
123 COLD HOLD OFF
124 PROTECTION SET
125 PROTECTION ENDED
126 RTC READING
127 NETWORK TIME
128 WARNING STARTED
129 CONFIG ERROR
130 PROTECTED CUST.
150 NEW FILESYSTEM
151 MAINTENANCE MODE
152 TRY TOKEN LATER
140 REMOTE COMMAND
141 REMOTE: FORGED
142 REMOTE: REPLAYED
143 REMOTE: STALE
144 REMOTE: EXPIRED
145 REMOTE: NOT MINE
146 REMOTE: BAD DATA
147 REMOTE: REFUSED
148 NETWORK TIME
149 NETWORK
"""


def _row(table, code):
    """-> (start, end) of the words after the number of `code` in `table`, or None."""
    i = table.find("\n%d " % code)
    if i < 0:
        return None
    a = table.index(" ", i + 1) + 1
    return a, table.index("\n", a)


def text(code):
    """The LCD text for a code, at most 16 characters."""
    r = _row(_TEXTS, code)
    return _TEXTS[r[0]:r[1]] if r else "UNKNOWN EVENT"
