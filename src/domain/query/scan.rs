//! The lexical layer of `q`: a cursor over chars that reads values, quoted strings and regex
//! sources, keeping every position so errors can point at them.

use std::fmt::Display;

use super::error::invalid;
use crate::error::Error;

pub(super) fn fail(position: usize, why: impl Display) -> Error {
    invalid("q", position, why)
}

/// One value as written: unquoted text, where it starts, and whether it was quoted.
pub(super) struct Token {
    pub text: String,
    pub position: usize,
    pub quoted: bool,
}

/// Regex source text, with where each of its chars sits in `q` plus one entry for its end.
pub(super) struct Source {
    pub text: String,
    pub positions: Vec<usize>,
}

pub(super) struct Scanner {
    pub chars: Vec<char>,
    pub pos: usize,
}

impl Scanner {
    pub fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    pub fn peek_second(&self) -> Option<char> {
        self.chars.get(self.pos + 1).copied()
    }

    pub fn skip_spaces(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    pub fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// Consumes `word` (ASCII, any case) when it is followed by whitespace.
    pub fn keyword(&mut self, word: &str) -> bool {
        let end = self.pos + word.len();
        let found = end < self.chars.len()
            && self.text(self.pos, end).eq_ignore_ascii_case(word)
            && self.chars[end].is_whitespace();
        if found {
            self.pos = end;
        }
        found
    }

    pub fn unexpected(&self, c: char) -> Error {
        let why = match c {
            ')' => "unbalanced parenthesis: `)` closes nothing".to_owned(),
            '"' => "unexpected quote: only a whole value can be quoted".to_owned(),
            '(' => "unexpected `(`: a list or range starts right after `:`".to_owned(),
            c => format!("unexpected `{c}`: conditions are separated by spaces"),
        };
        fail(self.pos, why)
    }

    pub fn unclosed(&self, open: usize) -> Error {
        fail(open, "unbalanced parenthesis: `(` is never closed")
    }

    /// A quoted or bare value; bare values end at whitespace or one of `stops`.
    pub fn value(&mut self, stops: &[char]) -> Result<Token, Error> {
        let position = self.pos;
        if self.peek() == Some('"') {
            let Source { text, .. } = self.quoted()?;
            return Ok(Token { text, position, quoted: true });
        }
        while let Some(c) = self.peek() {
            if c.is_whitespace() || stops.contains(&c) {
                break;
            }
            if matches!(c, '(' | ')' | '"') {
                return Err(self.unexpected(c));
            }
            self.pos += 1;
        }
        if self.pos == position {
            return Err(fail(position, "missing value"));
        }
        Ok(Token { text: self.text(position, self.pos), position, quoted: false })
    }

    /// A double-quoted string; `\"` and `\\` are escapes, any other backslash stays (so a
    /// quoted regex keeps its `\.`). Its end position is the closing quote.
    pub fn quoted(&mut self) -> Result<Source, Error> {
        let open = self.pos;
        self.pos += 1;
        let (mut text, mut positions) = (String::new(), Vec::new());
        loop {
            match self.peek() {
                None => return Err(fail(open, "unbalanced quote: `\"` is never closed")),
                Some('"') => {
                    positions.push(self.pos);
                    self.pos += 1;
                    return Ok(Source { text, positions });
                }
                Some('\\') if matches!(self.peek_second(), Some('"' | '\\')) => {
                    text.push(self.chars[self.pos + 1]);
                    positions.push(self.pos + 1);
                    self.pos += 2;
                }
                Some(c) => {
                    text.push(c);
                    positions.push(self.pos);
                    self.pos += 1;
                }
            }
        }
    }

    /// After `~`: `(re with spaces)`, `"quoted re"` or a bare regex up to the next space.
    pub fn regex(&mut self) -> Result<Source, Error> {
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                self.balanced(self.pos - 1)
            }
            Some('"') => self.quoted(),
            _ => {
                let start = self.pos;
                while self.peek().is_some_and(|c| !c.is_whitespace()) {
                    self.pos += 1;
                }
                Ok(self.source(start, self.pos))
            }
        }
    }

    /// A regex running to the `)` that matches `open`; parentheses inside it nest, and
    /// escaped ones or ones inside `[...]` do not count.
    pub fn balanced(&mut self, open: usize) -> Result<Source, Error> {
        let start = self.pos;
        let mut depth = 0usize;
        let mut i = start;
        loop {
            match self.chars.get(i) {
                None => return Err(self.unclosed(open)),
                Some('\\') => i += 2,
                Some('[') => i = self.class_end(i).unwrap_or(i + 1),
                Some('(') => {
                    depth += 1;
                    i += 1;
                }
                Some(')') if depth == 0 => break,
                Some(')') => {
                    depth -= 1;
                    i += 1;
                }
                Some(_) => i += 1,
            }
        }
        self.pos = i + 1;
        Ok(self.source(start, i))
    }

    fn source(&self, from: usize, to: usize) -> Source {
        Source { text: self.text(from, to), positions: (from..=to).collect() }
    }

    /// The index after the `]` closing the class that opens at `open`, if it closes.
    fn class_end(&self, open: usize) -> Option<usize> {
        let mut i = open + 1;
        if self.chars.get(i) == Some(&'^') {
            i += 1;
        }
        if self.chars.get(i) == Some(&']') {
            i += 1;
        }
        loop {
            match self.chars.get(i)? {
                '\\' => i += 2,
                ']' => return Some(i + 1),
                _ => i += 1,
            }
        }
    }
}
