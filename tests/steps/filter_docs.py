"""Short real-looking documents for the filter tests, each built to trip one rule.

Each constant says which rule it trips and why, from the published thresholds.
"""

GOOD = """The Apache HTTP Server can be configured to listen on specific addresses and ports. By default, it listens on every address of the machine, which is what most sites want.

When the server starts, it binds to some port and address on the local machine and waits for incoming requests. It is often useful to restrict this to selected ports, or to a combination of both.

The Listen directive tells the server to accept incoming requests only on the specified ports or address-and-port combinations. If only a port number is given, the server listens to that port on all interfaces.

Multiple Listen directives may be used to specify a number of addresses and ports to listen on. The server will respond to requests from any of the listed addresses and ports, and that is the usual setup for a host with several names.

Note that changing the Listen directive requires a full restart of the server, because the sockets have to be opened again with the new settings."""

# --- Gopher quality ------------------------------------------------------------------------
# 11 words (< 50).
SHORT = "This is a short note. It has only a few words in it."
# 60 words of mean length 2 (< 3): "It is a cat." -> It, is, a, cat (+ "." is a symbol).
SHORT_WORDS = " ".join(["It is a cat."] * 15)
# 60 words, each longer than 10 characters on average.
LONG_WORDS = " ".join(
    ["Internationalization considerations characterize multidisciplinary institutionalization."] * 12
)
# GOOD plus a line of 60 "#": each "#" is its own token; 60 / (~240 tokens) > 0.1.
HASHES = GOOD + "\n" + "#" * 60
# 20 lines, all starting with "- " (ratio 1.0 > 0.9); enough words, stop words present.
BULLETS = "\n".join(
    f"- Step {i}: copy the configuration file to the server and restart it with the new settings."
    for i in range(20)
)
# 10 lines of 15 words, 4 ending with "..." (0.4 > 0.3); 4 ellipses / ~170 tokens < 0.1.
END_ELLIPSIS = "\n".join(
    f"Line {i} of the report describes how the server handles requests from the network"
    + ("..." if i < 4 else ".")
    for i in range(10)
)
# Years: 70 tokens of 4 digits and 30 words: 30 / 100 < 0.8 of tokens have a letter.
NUMBERS = "The releases and years of the project: " + " ".join(str(1950 + i) for i in range(70)) + " " + " ".join(
    ["and the list goes on with more of the same kind"] * 2 + ["release notes follow below here"]
)
# No stop word at all (the, be, to, of, and, that, have, with); few punctuation tokens.
NO_STOP_WORDS = " ".join(
    ["Servers listen on ports while clients connect over networks using requests as responses leave quickly."] * 4
)

# --- Gopher repetition ---------------------------------------------------------------------
PARA_A = "The server reads its configuration at startup and checks every directive."
PARA_B = "Each virtual host may override the global settings for its own names."
# Paragraphs A, B, A: 1 duplicate of 3 (0.33 > 0.3).
DUP_PARAGRAPHS = f"{PARA_A}\n\n{PARA_B}\n\n{PARA_A}"
LONG_LINES = [
    "The core module parses the request line and the headers.",
    "Aliases map URL paths onto directories outside the document root.",
    "Authentication checks credentials against a password file or a database.",
    "A reverse proxy forwards each request to one of several backends.",
    "Rewrite rules change URLs with regular expressions before lookup.",
    "The cache stores responses so repeated requests are served quickly.",
    "MIME types tell browsers how to display every file they download.",
]
# 7 distinct lines + "See the notes." 4 times: 3 duplicates of 11 lines (0.27 <= 0.3).
DUP_LINES_27 = "\n".join(LONG_LINES + ["See the notes."] * 4)
# 7 distinct lines + "See the notes." 5 times: 4 duplicates of 12 lines (0.33 > 0.3).
DUP_LINES_33 = "\n".join(LONG_LINES + ["See the notes."] * 5)
_PARAS = GOOD.split("\n\n")
# Paragraphs 1, 2, 3, 4, 4: 1 duplicate of 5 (0.2 <= 0.3), but the repeated paragraph is
# more than 0.2 of the characters.
DUP_PARA_CHARS = "\n\n".join(_PARAS[:4] + [_PARAS[3]])
# The same as lines of one paragraph: 1 duplicate line of 5, more than 0.2 of the characters.
DUP_LINE_CHARS = "\n".join(_PARAS[:4] + [_PARAS[3]])
# 8 distinct phrases of 8 words, each said twice in a row, on one line: no duplicate line or
# paragraph, every 2-gram twice (top 2-gram far below 0.2 of the text), but half the text
# is repeated 5-grams (> 0.15).
_PHRASES = [
    "apache listens on every address by default",
    "virtual hosts share one server process pool",
    "modules extend the core with new directives",
    "logs record each request and its status",
    "clients negotiate content types with accept headers",
    "proxies forward requests to backend application servers",
    "caches keep copies of responses near readers",
    "certificates prove identity during secure handshakes",
]
DUP_NGRAMS = " ".join(f"{p}. {p}." for p in _PHRASES)

# --- C4 ------------------------------------------------------------------------------------
LOREM = GOOD + "\nLorem ipsum dolor sit amet, consectetur adipiscing elit."
CURLY = GOOD + "\nIn the code, write if (x) { return y; } and then compile it again."
THREE_SENTENCES = "The server starts quickly.\nIt reads the configuration.\nThen it waits for requests."
# spaCy's sentencizer does not end a sentence at "Dr." or "Mr." (one token each):
# 2 + 2 + 1 = 5 sentences, though there are 7 periods and 3 lines.
ABBREVIATIONS = "Dr. Smith went home. He slept well.\nMr. Jones stayed late. The end came.\nIt was late at night."
WITH_NOISE = (
    "Binding to Addresses and Ports\n"  # no terminal punctuation: removed
    + GOOD.replace("\n\n", "\n")
    + "\nPlease enable JavaScript to view the comments.\n"  # javascript: removed
    + "This site uses cookies to improve your experience.\n"  # policy: removed
    + "The server listens on port 80 by default.[1]"  # citation removed, line kept
)

# --- FineWeb -------------------------------------------------------------------------------
# 1 of 10 lines ends with terminal punctuation (0.1 < 0.12).
NO_PUNCT_LINES = "\n".join(
    [f"Section {i} covers the directive and its arguments in detail" for i in range(9)]
    + ["The last line ends with a period."]
)
# 8 of 10 lines have at most 30 characters (0.8 > 0.67).
SHORT_LINES = "\n".join(
    [f"Item {i} is short." for i in range(8)]
    + ["This line is long enough to not count as a short one at all.", "And so is this one, which also ends the text."]
)
# One long line twice: its characters are far above 1% of the text.
REPEATED_LINE = GOOD.replace("\n\n", "\n") + "\n" + LONG_LINES[0] + "\n" + LONG_LINES[0]
# 12 lines of 2 long words and ".": 3 tokens per newline (1/3 > 0.3); lines of 36+ chars.
LIST_LIKE = "\n".join(
    f"Internationalization considerations{i}." for i in range(12)
)
