//! A minimal JSON object reader — enough for this example's config without pulling in serde.

/// Calls `f(key, value)` for each field of a JSON object: `Some(bytes)` for a string value, `None` for any other value
/// (a number, true/false/null, an object or an array), which is skipped.
pub fn for_each_field<F>(json: &[u8], mut f: F) -> Result<(), &'static str>
where
    F: FnMut(&[u8], Option<Vec<u8>>) -> Result<(), &'static str>,
{
    let mut r = Reader { s: json, i: 0 };
    r.expect(b'{').ok_or("not a JSON object")?;
    r.skip_space();
    if r.peek() == Some(b'}') {
        r.i += 1;
    } else {
        loop {
            r.skip_space();
            let key = r.string().ok_or("expected a field name")?;
            r.expect(b':').ok_or("expected ':'")?;
            r.skip_space();
            let value = if r.peek() == Some(b'"') {
                Some(r.string().ok_or("malformed string")?)
            } else {
                r.skip_value(0).ok_or("malformed JSON value")?;
                None
            };
            f(&key, value)?;
            r.skip_space();
            match r.peek() {
                Some(b',') => r.i += 1,
                Some(b'}') => {
                    r.i += 1;
                    break;
                }
                _ => return Err("expected ',' or '}'"),
            }
        }
    }
    r.skip_space();
    if r.i != r.s.len() {
        return Err("trailing data after the object");
    }
    Ok(())
}

struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Option<()> {
        self.skip_space();
        if self.next()? == c {
            Some(())
        } else {
            None
        }
    }

    /// Skips a value that is not a string: a number, a literal, or a nested object or array.
    fn skip_value(&mut self, depth: u32) -> Option<()> {
        if depth > 32 {
            return None;
        }
        self.skip_space();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                self.skip_space();
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Some(());
                }
                loop {
                    if open == b'{' {
                        self.skip_space();
                        self.string()?;
                        self.expect(b':')?;
                    }
                    self.skip_value(depth + 1)?;
                    self.skip_space();
                    match self.next()? {
                        b',' => continue,
                        c if c == close => return Some(()),
                        _ => return None,
                    }
                }
            }
            _ => {
                let start = self.i;
                while matches!(self.peek(), Some(b'0'..=b'9' | b'a'..=b'z' | b'-' | b'+' | b'.' | b'E')) {
                    self.i += 1;
                }
                if self.i > start {
                    Some(())
                } else {
                    None
                }
            }
        }
    }

    /// A JSON string; `\uXXXX` escapes are decoded into UTF-8 (surrogate pairs are rejected, which no header needs).
    fn string(&mut self) -> Option<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.next()? {
                b'"' => return Some(out),
                b'\\' => match self.next()? {
                    c @ (b'"' | b'\\' | b'/') => out.push(c),
                    b'b' => out.push(8),
                    b'f' => out.push(12),
                    b'n' => out.push(b'\n'),
                    b'r' => out.push(b'\r'),
                    b't' => out.push(b'\t'),
                    b'u' => {
                        let mut v = 0u32;
                        for _ in 0..4 {
                            v = v * 16 + (self.next()? as char).to_digit(16)?;
                        }
                        let mut utf8 = [0u8; 4];
                        out.extend_from_slice(char::from_u32(v)?.encode_utf8(&mut utf8).as_bytes());
                    }
                    _ => return None,
                },
                c if c < 0x20 => return None,
                c => out.push(c),
            }
        }
    }
}
