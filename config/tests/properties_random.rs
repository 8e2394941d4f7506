//! Randomised checks of the `.properties` reader: escaped maps read back
//! unchanged, and arbitrary input never panics. Seeds are fixed, so a failure
//! reproduces; the failing seed is printed. The comparison with
//! `java.util.Properties` itself, on raw inputs, is `tests/properties_java`.

use std::collections::BTreeMap;

use kraft_config::properties::{escape, Properties};

/// xorshift64*: small, deterministic, good enough to pick characters.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Characters that exercise every rule, plus some outside ASCII.
const TRICKY: &[char] = &[
    'a', 'b', 'Z', '0', '9', '.', '-', ' ', '\t', '\u{c}', '\n', '\r', '\\', '=', ':', '#', '!',
    'u', 'U', 'e', 'F', 'é', '€', '😀', '\u{0}', '\u{7f}', '\u{ff}',
];

fn random_text(rng: &mut Rng, max_len: usize) -> String {
    let len = rng.below(max_len + 1);
    (0..len).map(|_| TRICKY[rng.below(TRICKY.len())]).collect()
}

#[test]
fn escaped_maps_read_back_unchanged() {
    for seed in 1..=2000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let mut expected = BTreeMap::new();
        let mut text = String::new();
        for _ in 0..rng.below(8) {
            let key = random_text(&mut rng, 12);
            let value = random_text(&mut rng, 20);
            // Random separators, indentation, comments and line endings.
            let indent = ["", "  ", "\t", "\u{c} "][rng.below(4)];
            let mut separator = ["=", ":", " ", " = ", "\t:\t"][rng.below(5)];
            if key.is_empty() && separator == " " {
                // Leading white space is skipped, so an empty key needs an
                // explicit separator (Java's store always writes `=`).
                separator = "=";
            }
            let newline = ["\n", "\r\n", "\r"][rng.below(3)];
            if rng.below(4) == 0 {
                text.push_str(&format!("# {}{newline}", escape(&value, false)));
            }
            text.push_str(&format!(
                "{indent}{}{separator}{}{newline}",
                escape(&key, true),
                escape(&value, false)
            ));
            expected.insert(key, value);
        }
        let parsed = Properties::parse(&text, "random")
            .unwrap_or_else(|error| panic!("seed {seed}: {error}\n{text:?}"));
        let got: BTreeMap<String, String> = parsed
            .iter()
            .map(|e| (e.key.clone(), e.value.clone()))
            .collect();
        assert_eq!(got, expected, "seed {seed}: {text:?}");
    }
}

#[test]
fn escape_produces_ascii() {
    let escaped = escape(" key=é😀\\\n", true);
    assert!(escaped.is_ascii(), "{escaped}");
    assert_eq!(escape(" lead and  inner", false), "\\ lead and  inner");
    assert_eq!(escape("a b", true), "a\\ b");
}

#[test]
fn arbitrary_input_never_panics_and_lines_stay_in_range() {
    for seed in 1..=3000u64 {
        let mut rng = Rng(seed.wrapping_mul(0xD6E8_FEB8_6659_FD93) | 1);
        let text = random_text(&mut rng, 80);
        let lines = text.split(['\n', '\r']).count().max(1);
        // Malformed \u escapes are errors, everything else parses.
        if let Ok(parsed) = Properties::parse(&text, "random") {
            for entry in parsed.iter() {
                assert!(
                    entry.line >= 1 && entry.line <= lines,
                    "seed {seed}: {entry:?} {text:?}"
                );
            }
        }
        let bytes: Vec<u8> = (0..rng.below(80)).map(|_| rng.next() as u8).collect();
        let _ = Properties::parse_latin1(&bytes, "random");
    }
}
