//! Raw `.properties` inputs built from fragments chosen to hit every rule of
//! `Properties.load` and its corner cases. Inputs are bytes written by hand,
//! never produced by our own `escape`, so the generator cannot share a
//! misunderstanding with the reader under test.

/// xorshift64*: small, deterministic, good enough to pick fragments.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, choices: &[&'a [u8]]) -> &'a [u8] {
        choices[self.below(choices.len())]
    }
}

const LINE_ENDINGS: &[&[u8]] = &[b"\n", b"\r", b"\r\n", b"\n\r", b"\r\r\n"];

/// White space of `Properties.load`: space, tab, form feed. Vertical tab is
/// not white space there, so it is here to check that it stays in the text.
const WHITE_SPACE: &[&[u8]] = &[b" ", b"\t", b"\x0c", b"  \t\x0c ", b"\x0b"];

/// Every separator form, with white space around it and doubled.
const SEPARATORS: &[&[u8]] = &[
    b"=",
    b":",
    b" ",
    b"\t",
    b"\x0c",
    b" = ",
    b"\t:\x0c",
    b"==",
    b"::",
    b"= =",
    b": :",
    b" =:",
    b"  ",
    b" \t\x0c= ",
    b"=:",
];

const WORDS: &[&[u8]] = &[
    b"a",
    b"b",
    b"key",
    b"node.id",
    b"x y",
    b"\xe9",
    b"\xff\x80",
    b"\x00",
    b"\x7f",
    b"#",
    b"!",
    b"u",
    b"u0041",
    b"=",
    b":",
    b"",
    b"\xa0",
    b"0",
    b"D800",
];

/// Escapes of every kind: the named ones, the ones standing for themselves,
/// `\uXXXX` well formed (including surrogates), and a few near misses.
const ESCAPES: &[&[u8]] = &[
    b"\\t",
    b"\\n",
    b"\\r",
    b"\\f",
    b"\\=",
    b"\\:",
    b"\\ ",
    b"\\#",
    b"\\!",
    b"\\\\",
    b"\\a",
    b"\\b",
    b"\\x",
    b"\\U0041",
    b"\\\xe9",
    b"\\\t",
    b"\\\x0c",
    b"\\u0041",
    b"\\u00e9",
    b"\\u00E9",
    b"\\uFFFF",
    b"\\u0000",
    b"\\u000a",
    b"\\u003d",
    b"\\u0020",
    b"\\uD83D\\uDE00",
    b"\\ud83d\\ude00",
    b"\\uD800",
    b"\\uDBFF",
    b"\\uDC00",
    b"\\uDFFF\\uD800",
    b"\\uD800\\u0041",
    b"\\u005c",
    b"\\u005cu0041",
    b"\\\\u0041",
];

/// `\u` escapes that `Properties.load` rejects: truncated, not hexadecimal,
/// or cut off by the end of the key.
const MALFORMED_ESCAPES: &[&[u8]] = &[
    b"\\u",
    b"\\u1",
    b"\\u12",
    b"\\u123",
    b"\\uZZZZ",
    b"\\u12g4",
    b"\\u 123",
    b"\\u+123",
    b"\\u-123",
    b"\\u\xe9123",
    b"\\u12=4",
    b"\\u00 41",
];

const COMMENT_STARTS: &[&[u8]] = &[b"#", b"!", b"# c=d", b"!k:v", b"#\\", b"!\\\\\\"];

/// One raw input. Mostly entry-shaped lines (so there are many keys, some
/// repeated), sometimes free-form soup, and sometimes an ending with a
/// trailing backslash or no final line terminator.
pub fn input(seed: u64) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    if rng.below(20) == 0 {
        pad_to_buffer_end(&mut rng, &mut out);
    }
    for _ in 0..rng.below(10) {
        if rng.below(5) == 0 {
            soup(&mut rng, &mut out);
        } else {
            entry_line(&mut rng, &mut out);
        }
    }
    match rng.below(6) {
        0 => out.extend_from_slice(rng.pick(&[b"\\", b"\\\\\\", b"a\\", b"k=v\\"])),
        1 => out.extend_from_slice(rng.pick(&[b"\\\n", b"\\\r", b"\\\r\n", b" \\\n  "])),
        2 => out.truncate(out.len().saturating_sub(rng.below(3))),
        _ => {}
    }
    out
}

/// Java's reader takes input in 8,192-byte reads: fill up to a few bytes
/// short of that, so the fragments that follow straddle a read boundary. The
/// padding is a comment, a finished entry, or an unfinished value that the
/// following fragments extend.
fn pad_to_buffer_end(rng: &mut Rng, out: &mut Vec<u8>) {
    const READ_SIZE: usize = 8192;
    let head = rng.pick(&[b"#", b"pad=", b"  pad\\\\:"]);
    let end = READ_SIZE - rng.below(8);
    let tail: &[u8] = if rng.below(3) == 0 { b"" } else { b"\n" };
    out.extend_from_slice(head);
    out.resize(end - tail.len(), b'p');
    out.extend_from_slice(tail);
}

/// `[indent] [comment | key separator value] [continuations] line-ending`.
fn entry_line(rng: &mut Rng, out: &mut Vec<u8>) {
    if rng.below(3) == 0 {
        out.extend_from_slice(rng.pick(WHITE_SPACE));
    }
    if rng.below(8) == 0 {
        out.extend_from_slice(rng.pick(COMMENT_STARTS));
    } else {
        text(rng, out, 3);
        out.extend_from_slice(rng.pick(SEPARATORS));
        text(rng, out, 5);
    }
    while rng.below(4) == 0 {
        continuation(rng, out);
        text(rng, out, 3);
    }
    out.extend_from_slice(rng.pick(LINE_ENDINGS));
}

/// A run of backslashes (odd: a continuation, even: two literal ones) and a
/// line ending, then the next line's leading white space, which may make it
/// blank or start it with a comment character.
fn continuation(rng: &mut Rng, out: &mut Vec<u8>) {
    let run = 1 + rng.below(5);
    out.extend(std::iter::repeat_n(b'\\', run));
    out.extend_from_slice(rng.pick(LINE_ENDINGS));
    for _ in 0..rng.below(3) {
        out.extend_from_slice(rng.pick(WHITE_SPACE));
    }
    if rng.below(6) == 0 {
        out.extend_from_slice(rng.pick(&[b"#", b"!", b"=", b":"]));
    }
}

/// Up to `max` fragments: words, escapes, white space, mid-line comment
/// characters, raw high bytes and, rarely, a malformed `\u` escape.
fn text(rng: &mut Rng, out: &mut Vec<u8>, max: usize) {
    for _ in 0..rng.below(max + 1) {
        match rng.below(40) {
            0..=15 => out.extend_from_slice(rng.pick(WORDS)),
            16..=27 => out.extend_from_slice(rng.pick(ESCAPES)),
            28..=30 => random_unicode_escape(rng, out),
            31..=33 => out.extend_from_slice(rng.pick(WHITE_SPACE)),
            34 | 35 => out.push(0x80 + rng.below(0x80) as u8),
            36 | 37 => out.extend_from_slice(rng.pick(&[b"#", b"!", b"=", b":"])),
            _ => {
                if rng.below(6) == 0 {
                    out.extend_from_slice(rng.pick(MALFORMED_ESCAPES));
                }
            }
        }
    }
}

/// `\uXXXX` with four random hexadecimal digits of mixed case.
fn random_unicode_escape(rng: &mut Rng, out: &mut Vec<u8>) {
    const DIGITS: &[u8] = b"0123456789abcdefABCDEF";
    out.extend_from_slice(b"\\u");
    for _ in 0..4 {
        out.push(DIGITS[rng.below(DIGITS.len())]);
    }
}

/// Any fragment at all, in any order: lines that are not entry-shaped.
fn soup(rng: &mut Rng, out: &mut Vec<u8>) {
    const ALL: &[&[&[u8]]] = &[
        LINE_ENDINGS,
        WHITE_SPACE,
        SEPARATORS,
        WORDS,
        ESCAPES,
        COMMENT_STARTS,
        &[b"\\", b"\\\\", b"\\\\\\"],
    ];
    for _ in 0..rng.below(12) {
        let class = ALL[rng.below(ALL.len())];
        out.extend_from_slice(rng.pick(class));
    }
}

/// The input as a Rust byte-string literal, to print with a failure.
pub fn escaped(input: &[u8]) -> String {
    input.escape_ascii().to_string()
}
