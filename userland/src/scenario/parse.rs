//! The scenario parser: text in, a [`Scenario`] or the first mistake out.
//!
//! A hand-written lexer and recursive-descent parser, so that every mistake is reported at
//! its exact byte range with what was expected there. The parser checks form only (is this a
//! statement, is that a number); whether names exist is the checker's business.
//!
//! The descent recurses once per block (a block's statements may hold blocks), so the parser
//! counts how deep it is and refuses the `{` that would go past [`MAX_NESTING`]: no input
//! can take it, or anything that walks what it built, deeper than that.

use super::ast::*;
use super::{Diagnostic, MAX_EXPR_TERMS, MAX_FORM_MISTAKES, MAX_NESTING, MAX_VALUE_DEPTH};
use abi::{Capacity, Error};

/// One token and where it is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Token {
    kind: Tok,
    span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Word(String),
    Int(u64),
    /// A string literal; the text between the quotes, escapes not yet processed.
    Str(String),
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Plus,
    Minus,
    Percent,
    Star,
    Slash,
    LParen,
    RParen,
    /// `=`.
    Assign,
    /// A comparison: `==`, `!=`, `<`, `<=`, `>`, `>=`.
    Compare(BinOp),
    /// Text the lexer could not read; its mistake is already reported, so the parser stays
    /// quiet about it.
    Bad,
    /// The end of a statement: a newline or `;`.
    End,
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Word(w) => format!("`{w}`"),
            Tok::Int(n) => format!("the number {n}"),
            Tok::Str(_) => "a string".to_string(),
            Tok::LBrace => "`{`".to_string(),
            Tok::RBrace => "`}`".to_string(),
            Tok::LBracket => "`[`".to_string(),
            Tok::RBracket => "`]`".to_string(),
            Tok::Plus => "`+`".to_string(),
            Tok::Minus => "`-`".to_string(),
            Tok::Percent => "`%`".to_string(),
            Tok::Star => "`*`".to_string(),
            Tok::Slash => "`/`".to_string(),
            Tok::LParen => "`(`".to_string(),
            Tok::RParen => "`)`".to_string(),
            Tok::Assign => "`=`".to_string(),
            Tok::Compare(op) => format!("`{}`", op.symbol()),
            Tok::Bad => "a mistake".to_string(),
            Tok::End => "the end of the line".to_string(),
            Tok::Eof => "the end of the file".to_string(),
        }
    }
}

/// The tokens of `src`, and the mistakes found reading them. A mistake leaves a [`Tok::Bad`]
/// token in its place and the lexer goes on, so the parser can report the lines after it.
fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut mistakes = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if mistakes.len() >= MAX_FORM_MISTAKES {
            mistakes.push(stopped_reading(i));
            out.push(Token {
                kind: Tok::Eof,
                span: Span::new(i, i),
            });
            return (out, mistakes);
        }
        let c = bytes[i];
        let start = i;
        let one = |kind| Token {
            kind,
            span: Span::new(start, start + 1),
        };
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'\n' | b';' => {
                out.push(one(Tok::End));
                i += 1;
            }
            b'{' => {
                out.push(one(Tok::LBrace));
                i += 1;
            }
            b'}' => {
                out.push(one(Tok::RBrace));
                i += 1;
            }
            b'[' => {
                out.push(one(Tok::LBracket));
                i += 1;
            }
            b']' => {
                out.push(one(Tok::RBracket));
                i += 1;
            }
            b'+' => {
                out.push(one(Tok::Plus));
                i += 1;
            }
            b'-' => {
                out.push(one(Tok::Minus));
                i += 1;
            }
            b'%' => {
                out.push(one(Tok::Percent));
                i += 1;
            }
            b'*' | b'/' | b'(' | b')' => {
                out.push(one(match c {
                    b'*' => Tok::Star,
                    b'/' => Tok::Slash,
                    b'(' => Tok::LParen,
                    _ => Tok::RParen,
                }));
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                let eq = bytes.get(i + 1) == Some(&b'=');
                let kind = match (c, eq) {
                    (b'=', true) => Tok::Compare(BinOp::Eq),
                    (b'=', false) => Tok::Assign,
                    (b'!', true) => Tok::Compare(BinOp::Ne),
                    (b'<', true) => Tok::Compare(BinOp::Le),
                    (b'<', false) => Tok::Compare(BinOp::Lt),
                    (b'>', true) => Tok::Compare(BinOp::Ge),
                    (b'>', false) => Tok::Compare(BinOp::Gt),
                    _ => {
                        mistakes.push(
                            Diagnostic::new(
                                Span::new(i, i + 1),
                                "unexpected character `!`",
                                "expected `!=`",
                            )
                            .note("`not` turns a test around: `if not n < 3`"),
                        );
                        Tok::Bad
                    }
                };
                let len = if eq { 2 } else { 1 };
                out.push(Token {
                    kind,
                    span: Span::new(i, i + len),
                });
                i += len;
            }
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => break,
                        Some(b'\\') => {
                            // Skip the escaped character whole, however many bytes it is.
                            i += 1;
                            i += src[i..].chars().next().map_or(0, char::len_utf8);
                        }
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                if bytes.get(i) != Some(&b'"') {
                    mistakes.push(
                        Diagnostic::new(
                            Span::new(start, i),
                            "unterminated string",
                            "this string has no closing `\"`",
                        )
                        .note("a string ends on the line it starts; write a newline as \\n"),
                    );
                    out.push(Token {
                        kind: Tok::Bad,
                        span: Span::new(start, i),
                    });
                    continue;
                }
                let raw = src[start + 1..i].to_string();
                i += 1;
                out.push(Token {
                    kind: Tok::Str(raw),
                    span: Span::new(start, i),
                });
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let text: String = src[start..i].chars().filter(|&c| c != '_').collect();
                let span = Span::new(start, i);
                let kind = match text.parse::<u64>() {
                    Ok(n) => Tok::Int(n),
                    Err(_) => {
                        mistakes.push(if text.bytes().all(|b| b.is_ascii_digit()) {
                            Diagnostic::new(
                                span,
                                "number too large",
                                "this does not fit in 64 bits",
                            )
                        } else {
                            Diagnostic::new(span, "malformed number", "expected digits only")
                        });
                        Tok::Bad
                    }
                };
                out.push(Token { kind, span });
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                out.push(Token {
                    kind: Tok::Word(src[start..i].to_string()),
                    span: Span::new(start, i),
                });
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                let span = Span::new(i, i + ch.len_utf8());
                mistakes.push(
                    Diagnostic::new(
                        span,
                        format!("unexpected character `{}`", ch.escape_default()),
                        "not part of the scenario language",
                    )
                    .note("names are letters, digits and `_`; text goes in double quotes"),
                );
                out.push(Token {
                    kind: Tok::Bad,
                    span,
                });
                i = span.end;
            }
        }
    }
    out.push(Token {
        kind: Tok::Eof,
        span: Span::new(src.len(), src.len()),
    });
    (out, mistakes)
}

/// The last mistake of a file with [`MAX_FORM_MISTAKES`] before `at`.
fn stopped_reading(at: usize) -> Diagnostic {
    Diagnostic::new(
        Span::new(at, at),
        format!("stopped reading after {MAX_FORM_MISTAKES} mistakes"),
        "the file is not read past here",
    )
    .note("correct the mistakes above, and `sim check` reads on")
}

/// The words that start a declaration, for "did you mean".
const DECLARATIONS: &str = "set, mailbox, process, fault or expect";

/// The attributes of a process header, for "did you mean".
const PROCESS_ATTRIBUTES: &str = "count, priority, inbox, burst, arrive, spawned or daemon";

/// The words that start a statement, for "expected" lists.
const STATEMENTS: &str = "send, call, receive, reply, compute, sleep, yield, create, delete, \
    transfer, grant, revoke, select, pass, grant_send, lookup, spawn, wait, exit, repeat, loop, \
    while, if, break, print, let or expect";

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// How many blocks enclose the next token.
    depth: usize,
    /// The mistakes found so far; the parser records one and goes on at the next statement.
    mistakes: Vec<Diagnostic>,
    /// How many parentheses and negations enclose the next token of the value being read.
    parens: usize,
    /// How many mistakes the lexer found: they count toward [`MAX_FORM_MISTAKES`] too.
    lexed_mistakes: usize,
    /// Where the parser (or the lexer) stopped reading, after [`MAX_FORM_MISTAKES`].
    stopped: Option<usize>,
}

type PResult<T> = Result<T, Diagnostic>;

impl Parser<'_> {
    fn peek(&self) -> &Token {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn unexpected(&self, expected: &str) -> Diagnostic {
        let t = self.peek();
        Diagnostic::new(
            t.span,
            format!("expected {expected}, found {}", t.kind.describe()),
            format!("expected {expected} here"),
        )
    }

    /// Keep a mistake, unless it is about a token the lexer already reported.
    fn record(&mut self, mistake: Diagnostic) {
        if self.stopped.is_some() {
            return;
        }
        if self.peek().kind != Tok::Bad && self.mistakes.last() != Some(&mistake) {
            self.mistakes.push(mistake);
        }
        if self.mistakes.len() + self.lexed_mistakes >= MAX_FORM_MISTAKES {
            // Stop: skip to the end, where every open block and loop ends at once.
            let at = self.peek().span.start;
            self.mistakes.push(stopped_reading(at));
            self.stopped = Some(at);
            self.pos = self.toks.len() - 1;
        }
    }

    /// After a mistake, go on at the next statement: past the end of this line (or `;`), or
    /// up to the `}` that closes the enclosing block. A block that opens on the broken line
    /// is still read, its statements checked and thrown away, so that its mistakes are
    /// reported too; one nested too deep is skipped whole, brace by brace, without recursion.
    fn recover(&mut self, top_level: bool) {
        let mut open = 0usize;
        loop {
            match self.peek().kind {
                Tok::Eof => return,
                Tok::End if open == 0 => {
                    self.next();
                    return;
                }
                Tok::RBrace if open == 0 => {
                    if !top_level {
                        return;
                    }
                    self.next();
                }
                Tok::RBrace => {
                    open -= 1;
                    self.next();
                }
                Tok::LBrace if open == 0 && self.depth < MAX_NESTING => {
                    if let Err(mistake) = self.block() {
                        self.record(mistake);
                    }
                }
                Tok::LBrace => {
                    open += 1;
                    self.next();
                }
                _ => {
                    self.next();
                }
            }
        }
    }

    fn skip_ends(&mut self) {
        while self.peek().kind == Tok::End {
            self.next();
        }
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(&self.peek().kind, Tok::Word(x) if x == w)
    }

    fn eat_word(&mut self, w: &str) -> bool {
        if self.is_word(w) {
            self.next();
            true
        } else {
            false
        }
    }

    fn ident(&mut self, what: &str) -> PResult<Ident> {
        match &self.peek().kind {
            Tok::Word(w) => {
                let ident = Ident {
                    name: w.clone(),
                    span: self.peek().span,
                };
                self.next();
                Ok(ident)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn int(&mut self, what: &str) -> PResult<(u64, Span)> {
        match self.peek().kind {
            Tok::Int(n) => {
                let span = self.next().span;
                Ok((n, span))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn int_in(&mut self, what: &str, max: u64) -> PResult<(u64, Span)> {
        let (n, span) = self.int(what)?;
        if n > max {
            return Err(Diagnostic::new(
                span,
                format!("{n} is too large here"),
                format!("expected {what} (at most {max})"),
            ));
        }
        Ok((n, span))
    }

    fn capacity(&mut self) -> PResult<Capacity> {
        if self.eat_word("unbounded") {
            return Ok(Capacity::Unbounded);
        }
        let what = "a capacity: a number of messages, or `unbounded`";
        let (n, _) = self.int_in(what, u32::MAX as u64)?;
        Ok(if n == 0 {
            Capacity::Zero
        } else {
            Capacity::Bounded(n as u32)
        })
    }

    fn overflow(&mut self) -> PResult<OverflowSpec> {
        let names: Vec<&str> = OverflowSpec::ALL.iter().map(|(n, _)| *n).collect();
        let expected = format!("an overflow policy: {}", names.join(", "));
        let word = self.ident(&expected)?;
        OverflowSpec::ALL
            .iter()
            .find(|(n, _)| *n == word.name)
            .map(|(_, o)| *o)
            .ok_or_else(|| {
                Diagnostic::new(
                    word.span,
                    format!("unknown overflow policy `{}`", word.name),
                    format!("expected {expected}"),
                )
            })
    }

    /// `receivers POLICY`'s policy.
    fn receivers_policy(&mut self) -> PResult<abi::Receivers> {
        let names: Vec<&str> = abi::Receivers::ALL.iter().map(|r| r.name()).collect();
        let expected = format!("a receiver policy: {}", names.join(", "));
        let word = self.ident(&expected)?;
        abi::Receivers::from_name(&word.name).ok_or_else(|| {
            Diagnostic::new(
                word.span,
                format!("unknown receiver policy `{}`", word.name),
                format!("expected {expected}"),
            )
        })
    }

    /// `lifetime WHO`'s owner: `owner` or `system`.
    fn lifetime(&mut self) -> PResult<abi::Lifetime> {
        let expected = "a lifetime: owner or system";
        let word = self.ident(expected)?;
        abi::Lifetime::from_name(&word.name).ok_or_else(|| {
            Diagnostic::new(
                word.span,
                format!("unknown lifetime `{}`", word.name),
                format!("expected {expected}"),
            )
        })
    }

    /// `pass RIGHT MAILBOX to TARGET "payload" [MODE]`, after the keyword.
    fn pass(&mut self) -> PResult<StmtKind> {
        let receive = if self.eat_word("receive") {
            true
        } else if self.eat_word("send") {
            false
        } else {
            return Err(self.unexpected("`receive` or `send` (the right to pass)"));
        };
        let mailbox = self.ident("the mailbox the right is on")?;
        if !self.eat_word("to") {
            return Err(self.unexpected("`to`"));
        }
        let to = self.target("a mailbox or process name")?;
        let payload = self.template("the message, in quotes")?;
        let mode = self.mode()?;
        Ok(StmtKind::Pass {
            receive,
            mailbox,
            to: Box::new(to),
            payload,
            mode,
        })
    }

    /// `select ENDPOINT... [MODE] [buffer N]`, after the keyword: mailbox names and `any`,
    /// then the mode and buffer as for `receive`.
    fn select(&mut self) -> PResult<StmtKind> {
        let mut set = Vec::new();
        loop {
            let end = ["nonblocking", "timeout", "buffer"]
                .iter()
                .any(|w| self.is_word(w));
            if end || !matches!(self.peek().kind, Tok::Word(_)) {
                break;
            }
            if self.eat_word("any") {
                set.push(None);
            } else {
                set.push(Some(self.ident("a mailbox name or `any`")?));
            }
        }
        if set.is_empty() {
            return Err(self.unexpected("a mailbox name or `any`"));
        }
        let mode = self.mode()?;
        let buffer = if self.eat_word("buffer") {
            Some(self.int("a buffer length in bytes")?.0)
        } else {
            None
        };
        Ok(StmtKind::Select { set, mode, buffer })
    }

    /// `grant MAILBOX to PROCESS` or `revoke MAILBOX from PROCESS`, after the keyword.
    fn grant_or_revoke(&mut self, grant: bool) -> PResult<StmtKind> {
        let name = self.ident("a mailbox name")?;
        let (word, what) = if grant {
            ("to", "the process to grant the receive privilege")
        } else {
            ("from", "the process to take the receive privilege from")
        };
        if !self.eat_word(word) {
            return Err(self.unexpected(&format!("`{word}`")));
        }
        let target = self.target(what)?;
        Ok(if grant {
            StmtKind::Grant { name, to: target }
        } else {
            StmtKind::Revoke { name, from: target }
        })
    }

    fn percent(&mut self) -> PResult<u8> {
        let (n, _) = self.int_in("a percentage", 100)?;
        if self.peek().kind != Tok::Percent {
            return Err(self.unexpected("`%`"));
        }
        self.next();
        Ok(n as u8)
    }

    /// `fault kill P at tick N | at syscall N`, `fault lose N%`, `fault delay N% by T`,
    /// `fault jump N at tick T`.
    fn fault(&mut self) -> PResult<FaultDecl> {
        let start = self.next().span;
        let what = "`kill`, `lose`, `delay` or `jump`";
        let word = self.ident(what)?;
        let kind = match word.name.as_str() {
            "kill" => {
                let target = self.target("the process to kill")?;
                if !self.eat_word("at") {
                    return Err(self.unexpected("`at`"));
                }
                let at = if self.eat_word("tick") {
                    FaultMoment::Tick(self.int("a tick")?.0)
                } else if self.eat_word("syscall") {
                    let (n, span) = self.int("which of its syscalls, from 1")?;
                    if n == 0 {
                        return Err(Diagnostic::new(
                            span,
                            "syscalls count from 1",
                            "expected 1 or more",
                        ));
                    }
                    FaultMoment::Syscall(n)
                } else {
                    return Err(self.unexpected("`tick` or `syscall`"));
                };
                FaultSpec::Kill { target, at }
            }
            "lose" => FaultSpec::Lose {
                percent: self.percent()?,
            },
            "delay" => {
                let percent = self.percent()?;
                if !self.eat_word("by") {
                    return Err(self.unexpected("`by`"));
                }
                FaultSpec::Delay {
                    percent,
                    ticks: self.int("a delay in ticks")?.0,
                }
            }
            "jump" => {
                let ticks = self.int("how many ticks to jump")?.0;
                if !(self.eat_word("at") && self.eat_word("tick")) {
                    return Err(self.unexpected("`at tick`"));
                }
                FaultSpec::Jump {
                    ticks,
                    at: self.int("a tick")?.0,
                }
            }
            _ => {
                return Err(Diagnostic::new(
                    word.span,
                    format!("unknown fault `{}`", word.name),
                    format!("expected {what}"),
                ))
            }
        };
        let end = self.toks[self.pos.saturating_sub(1)].span;
        self.end_of_statement()?;
        Ok(FaultDecl {
            kind,
            span: start.to(end),
        })
    }

    /// `expect killed PROCESS`: a kill the run is meant to show.
    fn expected_kill(&mut self) -> PResult<Target> {
        self.next();
        if !self.eat_word("killed") {
            return Err(self
                .unexpected("`killed`")
                .note("at the top level, `expect killed PROCESS` declares a kill the run is meant to show; other tests go inside a process"));
        }
        let target = self.target("the process a `fault kill` line kills")?;
        self.end_of_statement()?;
        Ok(target)
    }

    /// The end of a statement: a newline, `;`, or the `}` that closes its block.
    fn end_of_statement(&mut self) -> PResult<()> {
        match self.peek().kind {
            Tok::End => {
                self.next();
                Ok(())
            }
            Tok::RBrace | Tok::Eof => Ok(()),
            _ => Err(self.unexpected("the end of the statement")),
        }
    }

    /// Every declaration of the file; a broken one is recorded and the parser goes on at the
    /// next line.
    fn file(&mut self, scenario: &mut Scenario) {
        loop {
            self.skip_ends();
            let t = self.peek().clone();
            let parsed = match &t.kind {
                Tok::Eof => return,
                Tok::Word(w) if w == "set" => self.setting().map(|s| scenario.settings.push(s)),
                Tok::Word(w) if w == "mailbox" => {
                    self.mailbox().map(|m| scenario.mailboxes.push(m))
                }
                Tok::Word(w) if w == "process" => {
                    self.process().map(|p| scenario.processes.push(p))
                }
                Tok::Word(w) if w == "fault" => self.fault().map(|f| scenario.faults.push(f)),
                Tok::Word(w) if w == "expect" => self
                    .expected_kill()
                    .map(|t| scenario.expected_kills.push(t)),
                other => {
                    let mut d = self
                        .unexpected("`set`, `mailbox`, `process` or `fault`")
                        .note(
                            "a scenario is made of `set`, `mailbox`, `process` and `fault` lines",
                        );
                    if let Tok::Word(w) = other {
                        if let Some(h) = suggest(w, DECLARATIONS) {
                            d = d.note(format!("did you mean `{h}`?"));
                        }
                    }
                    Err(d)
                }
            };
            if let Err(mistake) = parsed {
                self.record(mistake);
                self.recover(true);
            }
        }
    }

    fn setting(&mut self) -> PResult<Setting> {
        let start = self.next().span;
        let key_ident = self.ident("a setting name")?;
        let key = SettingKey::from_name(&key_ident.name).ok_or_else(|| {
            let names: Vec<&str> = SettingKey::ALL.iter().map(|k| k.name()).collect();
            Diagnostic::new(
                key_ident.span,
                format!("unknown setting `{}`", key_ident.name),
                "not a setting",
            )
            .note(format!("the settings are: {}", names.join(", ")))
        })?;
        let words = key.words();
        let value = if !words.is_empty() {
            let expected = format!("one of: {}", words.join(", "));
            let v = self.ident(&format!("a value for `{}`, {expected}", key.name()))?;
            if !words.contains(&v.name.as_str()) {
                return Err(Diagnostic::new(
                    v.span,
                    format!("`{}` is not a value of `{}`", v.name, key.name()),
                    format!("expected {expected}"),
                ));
            }
            SettingValue::Word(v.name)
        } else if key == SettingKey::Quanta {
            let mut quanta = vec![self.int("the top level's quantum")?.0];
            while let Tok::Int(n) = self.peek().kind {
                self.next();
                quanta.push(n);
            }
            SettingValue::Numbers(quanta)
        } else {
            SettingValue::Number(self.int(&format!("a number for `{}`", key.name()))?.0)
        };
        let end = self.toks[self.pos.saturating_sub(1)].span;
        self.end_of_statement()?;
        Ok(Setting {
            key,
            value,
            span: start.to(end),
        })
    }

    fn mailbox(&mut self) -> PResult<MailboxDecl> {
        let start = self.next().span;
        let name = self.ident("the mailbox's name")?;
        let mut capacity = Capacity::Zero;
        let mut owner = None;
        let mut overflow = OverflowSpec::Block;
        let mut receivers = abi::Receivers::OwnerOnly;
        let mut lifetime = abi::Lifetime::Owner;
        loop {
            if self.eat_word("capacity") {
                capacity = self.capacity()?;
            } else if self.eat_word("owner") {
                owner = Some(self.target("the owning process's name")?);
            } else if self.eat_word("overflow") {
                overflow = self.overflow()?;
            } else if self.eat_word("receivers") {
                receivers = self.receivers_policy()?;
            } else if self.eat_word("lifetime") {
                lifetime = self.lifetime()?;
            } else {
                break;
            }
        }
        let end = self.toks[self.pos.saturating_sub(1)].span;
        match self.peek().kind {
            Tok::End | Tok::Eof => {
                self.next();
            }
            _ => return Err(self.unexpected(
                "`capacity`, `owner`, `overflow`, `receivers`, `lifetime` or the end of the line",
            )),
        }
        Ok(MailboxDecl {
            name,
            capacity,
            owner,
            overflow,
            receivers,
            lifetime,
            span: start.to(end),
        })
    }

    fn process(&mut self) -> PResult<ProcessDecl> {
        let start = self.next().span;
        let name = self.ident("the process's name")?;
        let mut decl = ProcessDecl {
            name,
            count: 1,
            priority: 0,
            inbox: Capacity::Zero,
            spawned: false,
            burst: 0,
            arrive: None,
            daemon: false,
            body: Vec::new(),
            span: start,
        };
        loop {
            match self.process_attribute(&mut decl) {
                Ok(true) => {}
                Ok(false) => break,
                Err(mistake) => {
                    // The body is still read, so that its mistakes are reported too.
                    self.record(mistake.clone());
                    while !matches!(self.peek().kind, Tok::LBrace | Tok::End | Tok::Eof) {
                        self.next();
                    }
                    if self.peek().kind != Tok::LBrace {
                        // Recorded already: the caller's record of it is a no-op.
                        return Err(mistake);
                    }
                    break;
                }
            }
        }
        decl.span = start.to(self.toks[self.pos.saturating_sub(1)].span);
        if self.peek().kind != Tok::LBrace {
            let mut d = self.unexpected(
                "`count`, `priority`, `inbox`, `burst`, `arrive`, `spawned`, `daemon` or `{`",
            );
            if let Tok::Word(w) = &self.peek().kind {
                if let Some(h) = suggest(w, PROCESS_ATTRIBUTES) {
                    d = d.note(format!("did you mean `{h}`?"));
                }
            }
            return Err(d);
        }
        decl.body = self.block()?;
        self.end_of_statement()?;
        Ok(decl)
    }

    /// One attribute of a process header; `false` when the next token is not one.
    fn process_attribute(&mut self, decl: &mut ProcessDecl) -> PResult<bool> {
        {
            if self.eat_word("count") {
                let (n, span) = self.int_in("a number of copies", u16::MAX as u64)?;
                if n == 0 {
                    return Err(Diagnostic::new(
                        span,
                        "a process needs at least one copy",
                        "expected 1 or more",
                    ));
                }
                decl.count = n as u32;
            } else if self.eat_word("priority") {
                decl.priority = self.int_in("a priority", u8::MAX as u64)?.0 as u8;
            } else if self.eat_word("inbox") {
                decl.inbox = self.capacity()?;
            } else if self.eat_word("spawned") {
                decl.spawned = true;
            } else if self.eat_word("burst") {
                decl.burst = self.int("the CPU burst it declares, in ticks")?.0;
            } else if self.eat_word("arrive") {
                let what = "the tick at which it arrives";
                decl.arrive = Some(self.int_in(what, abi::SPAWN_ARRIVAL_MAX)?.0);
            } else if self.eat_word("daemon") {
                decl.daemon = true;
            } else {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `{ statements }`, at most [`MAX_NESTING`] deep.
    fn block(&mut self) -> PResult<Vec<Stmt>> {
        let open = self.peek().span;
        if self.peek().kind != Tok::LBrace {
            return Err(self.unexpected("`{`"));
        }
        if self.depth >= MAX_NESTING {
            return Err(Diagnostic::new(
                open,
                format!("blocks nest at most {MAX_NESTING} deep"),
                format!("this `{{` would open block {}", self.depth + 1),
            )
            .note("the process body is the first block; move the innermost part into a `spawned` process of its own"));
        }
        self.next();
        self.depth += 1;
        let body = self.statements(open);
        self.depth -= 1;
        body
    }

    /// The statements of the block opened at `open`, up to and including its `}`. A broken
    /// statement is recorded and left out, and the block goes on at the next one.
    fn statements(&mut self, open: Span) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        loop {
            self.skip_ends();
            match self.peek().kind {
                Tok::RBrace => {
                    self.next();
                    return Ok(body);
                }
                Tok::Eof => {
                    return Err(Diagnostic::new(
                        open,
                        "this block is never closed",
                        "this `{` has no matching `}`",
                    ))
                }
                _ => match self.statement() {
                    Ok(stmt) => body.push(stmt),
                    Err(mistake) => {
                        self.record(mistake);
                        self.recover(false);
                    }
                },
            }
        }
    }

    fn mode(&mut self) -> PResult<ModeSpec> {
        if self.eat_word("nonblocking") {
            Ok(ModeSpec::NonBlocking)
        } else if self.eat_word("timeout") {
            Ok(ModeSpec::Timeout(Box::new(
                self.expr("a timeout in ticks")?,
            )))
        } else {
            Ok(ModeSpec::Blocking)
        }
    }

    fn target(&mut self, what: &str) -> PResult<Target> {
        let name = self.ident(what)?;
        let mut span = name.span;
        let mut index = None;
        if self.peek().kind == Tok::LBracket {
            self.next();
            let wrap = self.eat_word("wrap");
            let expr = self.expr("a copy number, `copy` or a value")?;
            let idx = match expr.kind {
                ExprKind::Int(n) if !wrap => {
                    let n = u32::try_from(n).map_err(|_| {
                        Diagnostic::new(
                            expr.span,
                            format!("{n} is too large here"),
                            format!("expected a copy number (at most {})", u32::MAX),
                        )
                    })?;
                    CopyIndex::Fixed(n)
                }
                _ => CopyIndex::Value {
                    expr: Box::new(expr),
                    wrap,
                },
            };
            if self.peek().kind != Tok::RBracket {
                return Err(self.unexpected("`]`"));
            }
            span = span.to(self.next().span);
            index = Some(idx);
        }
        Ok(Target { name, index, span })
    }

    /// A value: at most one comparison of sums of products of (possibly negated) numbers,
    /// names, `{name}`s and parenthesised values, at most [`MAX_EXPR_TERMS`] terms.
    fn expr(&mut self, what: &str) -> PResult<Expr> {
        let mut terms = 0;
        self.comparison(what, &mut terms)
    }

    /// Count one more term of the value being read; past the bound, a mistake here.
    fn term(&mut self, terms: &mut usize) -> PResult<()> {
        *terms += 1;
        if *terms > MAX_EXPR_TERMS {
            return Err(Diagnostic::new(
                self.peek().span,
                format!("a value holds at most {MAX_EXPR_TERMS} terms"),
                "this term is one too many",
            )
            .note("compute part of it with `let NAME = ...` first"));
        }
        Ok(())
    }

    fn comparison(&mut self, what: &str, terms: &mut usize) -> PResult<Expr> {
        let left = self.sum(what, terms)?;
        if let Tok::Compare(op) = self.peek().kind {
            self.term(terms)?;
            self.next();
            let right = self.sum("a value to compare with", terms)?;
            return Ok(binary(op, left, right));
        }
        Ok(left)
    }

    fn sum(&mut self, what: &str, terms: &mut usize) -> PResult<Expr> {
        let mut left = self.product(what, terms)?;
        loop {
            let op = match self.peek().kind {
                Tok::Plus => BinOp::Add,
                Tok::Minus => BinOp::Sub,
                _ => return Ok(left),
            };
            self.term(terms)?;
            self.next();
            let right = self.product("a value", terms)?;
            left = binary(op, left, right);
        }
    }

    fn product(&mut self, what: &str, terms: &mut usize) -> PResult<Expr> {
        let mut left = self.unary(what, terms)?;
        loop {
            let op = match self.peek().kind {
                Tok::Star => BinOp::Mul,
                Tok::Slash => BinOp::Div,
                Tok::Percent => BinOp::Rem,
                _ => return Ok(left),
            };
            self.term(terms)?;
            self.next();
            let right = self.unary("a value", terms)?;
            left = binary(op, left, right);
        }
    }

    /// One more level of parentheses or negation in the value being read, or a mistake at
    /// `at` past [`MAX_VALUE_DEPTH`].
    fn nest_value(&mut self, at: Span, what: &str) -> PResult<()> {
        if self.parens >= MAX_VALUE_DEPTH {
            return Err(Diagnostic::new(
                at,
                format!("a value nests at most {MAX_VALUE_DEPTH} deep"),
                format!("this `{what}` would open level {}", self.parens + 1),
            )
            .note("parentheses and `-` each open a level; compute the inner part with `let NAME = ...` first"));
        }
        Ok(())
    }

    fn unary(&mut self, what: &str, terms: &mut usize) -> PResult<Expr> {
        if self.peek().kind != Tok::Minus {
            return self.primary(what, terms);
        }
        self.term(terms)?;
        self.nest_value(self.peek().span, "-")?;
        let minus = self.next().span;
        // The one number that is only a number negated: -9223372036854775808.
        if let Tok::Int(n) = self.peek().kind {
            if n == i64::MIN.unsigned_abs() {
                let span = minus.to(self.next().span);
                return Ok(Expr {
                    kind: ExprKind::Int(i64::MIN),
                    span,
                });
            }
        }
        self.parens += 1;
        let x = self.unary("a value", terms);
        self.parens -= 1;
        let x = x?;
        Ok(Expr {
            span: minus.to(x.span),
            kind: ExprKind::Neg(Box::new(x)),
        })
    }

    fn primary(&mut self, what: &str, terms: &mut usize) -> PResult<Expr> {
        self.term(terms)?;
        let t = self.peek().clone();
        match t.kind {
            Tok::Int(n) => {
                self.next();
                let n = i64::try_from(n).map_err(|_| {
                    Diagnostic::new(
                        t.span,
                        "number too large",
                        "a value is a 64-bit signed number",
                    )
                })?;
                Ok(Expr {
                    kind: ExprKind::Int(n),
                    span: t.span,
                })
            }
            Tok::Word(w) => {
                self.next();
                Ok(Expr {
                    kind: ExprKind::Name(w),
                    span: t.span,
                })
            }
            // `{n}`, as in a text: the same name.
            Tok::LBrace => {
                self.next();
                let name = self.ident("a name")?;
                if self.peek().kind != Tok::RBrace {
                    return Err(self.unexpected("`}`"));
                }
                let close = self.next().span;
                Ok(Expr {
                    kind: ExprKind::Name(name.name),
                    span: t.span.to(close),
                })
            }
            Tok::LParen => {
                self.nest_value(t.span, "(")?;
                self.next();
                self.parens += 1;
                let inner = self.comparison("a value", terms);
                self.parens -= 1;
                let inner = inner?;
                if self.peek().kind != Tok::RParen {
                    return Err(self.unexpected("`)`"));
                }
                let close = self.next().span;
                Ok(Expr {
                    kind: inner.kind,
                    span: t.span.to(close),
                })
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn template(&mut self, what: &str) -> PResult<Template> {
        let t = self.peek().clone();
        let Tok::Str(raw) = &t.kind else {
            return Err(self
                .unexpected(what)
                .note("text goes in double quotes, like \"item {i} from {name}\""));
        };
        self.next();
        parse_template(self.src, raw, t.span)
    }

    fn expectation(&mut self) -> PResult<Expect> {
        let start = self.peek().span;
        let what = "`ok`, an error name, `bytes \"...\"`, `sender NAME` or `multiple_of \"N\"`";
        let negated = self.eat_word("not");
        let test_word = match &self.peek().kind {
            Tok::Word(w) => {
                matches!(w.as_str(), "ok" | "bytes" | "sender" | "multiple_of")
                    || Error::from_name(w).is_some()
            }
            _ => false,
        };
        if !test_word {
            return self.comparison_test(start, negated, what);
        }
        let word = self.ident(what)?;
        let kind = match word.name.as_str() {
            "ok" => ExpectKind::Ok,
            "bytes" => ExpectKind::Bytes(self.template("the expected bytes, in quotes")?),
            "sender" => ExpectKind::Sender(self.target("the sending process's name")?),
            "multiple_of" => ExpectKind::MultipleOf(self.template("a number, in quotes")?),
            name => match Error::from_name(name) {
                Some(e) => ExpectKind::Error(e),
                None => {
                    let names: Vec<&str> = Error::ALL.iter().map(|e| e.name()).collect();
                    return Err(Diagnostic::new(
                        word.span,
                        format!("`{name}` is not something to expect"),
                        format!("expected {what}"),
                    )
                    .note(format!("the error names are: {}", names.join(", "))));
                }
            },
        };
        let end = self.toks[self.pos.saturating_sub(1)].span;
        Ok(Expect {
            kind,
            negated,
            span: start.to(end),
        })
    }

    /// A test that is a comparison of values (`n < 3`), after `if`, `while`, `expect` and
    /// an optional `not`.
    fn comparison_test(&mut self, start: Span, negated: bool, what: &str) -> PResult<Expect> {
        let first = self.peek().clone();
        let value = self.expr(&format!("{what}, or a comparison (`n < 3`)"))?;
        if !value.is_comparison() {
            if let (Tok::Word(name), ExprKind::Name(_)) = (&first.kind, &value.kind) {
                let names: Vec<&str> = Error::ALL.iter().map(|e| e.name()).collect();
                return Err(Diagnostic::new(
                    first.span,
                    format!("`{name}` is not something to expect"),
                    format!("expected {what}, or a comparison (`n < 3`)"),
                )
                .note(format!("the error names are: {}", names.join(", "))));
            }
            return Err(Diagnostic::new(
                value.span,
                "a test of values needs a comparison",
                "expected `==`, `!=`, `<`, `<=`, `>` or `>=` in this value",
            ));
        }
        Ok(Expect {
            span: start.to(value.span),
            kind: ExpectKind::Value(value),
            negated,
        })
    }

    fn statement(&mut self) -> PResult<Stmt> {
        let start = self.peek().span;
        let Tok::Word(word) = self.peek().kind.clone() else {
            return Err(self.unexpected(&format!("a statement ({STATEMENTS})")));
        };
        self.next();
        let kind = match word.as_str() {
            "send" | "call" => {
                let to = self.target("a mailbox or process name")?;
                let payload = self.template("the message, in quotes")?;
                let mode = self.mode()?;
                if word == "send" {
                    StmtKind::Send { to, payload, mode }
                } else {
                    StmtKind::Call { to, payload, mode }
                }
            }
            "receive" => {
                let from = if self.eat_word("any") {
                    SourceSpec::Any
                } else if self.is_word("from") {
                    let from_span = self.next().span;
                    if self.is_word("sender") {
                        SourceSpec::FromSender(from_span.to(self.next().span))
                    } else {
                        SourceSpec::From(self.target("a process name or `sender`")?)
                    }
                } else {
                    SourceSpec::Mailbox(
                        self.ident("a mailbox name, `any`, or `from` and a process name")?,
                    )
                };
                let mode = self.mode()?;
                let buffer = if self.eat_word("buffer") {
                    Some(self.int("a buffer length in bytes")?.0)
                } else {
                    None
                };
                StmtKind::Receive { from, mode, buffer }
            }
            "reply" if self.eat_word("to") => StmtKind::ReplyTo {
                to: self.target("the caller's name")?,
                payload: self.template("the reply, in quotes")?,
            },
            "reply" => StmtKind::Reply {
                payload: self.template("the reply, in quotes")?,
            },
            "lookup" => StmtKind::Lookup {
                name: self.ident("the name a mailbox is registered under")?,
            },
            "wait" => StmtKind::Wait {
                child: self.target("the name of a process this one spawned")?,
                mode: self.mode()?,
            },
            "compute" => StmtKind::Compute(self.expr("a number of ticks")?),
            "sleep" => StmtKind::Sleep(self.expr("a number of ticks")?),
            "yield" => StmtKind::Yield,
            "create" => {
                let name = self.ident("the new mailbox's name")?;
                let mut capacity = CapacitySpec::Count(Expr {
                    kind: ExprKind::Int(0),
                    span: name.span,
                });
                let mut overflow = OverflowSpec::Block;
                let mut receivers = abi::Receivers::OwnerOnly;
                let mut lifetime = abi::Lifetime::Owner;
                loop {
                    if self.eat_word("capacity") {
                        capacity = if self.eat_word("unbounded") {
                            CapacitySpec::Unbounded
                        } else {
                            let what = "a capacity: a number of messages, or `unbounded`";
                            CapacitySpec::Count(self.expr(what)?)
                        };
                    } else if self.eat_word("overflow") {
                        overflow = self.overflow()?;
                    } else if self.eat_word("receivers") {
                        receivers = self.receivers_policy()?;
                    } else if self.eat_word("lifetime") {
                        lifetime = self.lifetime()?;
                    } else {
                        break;
                    }
                }
                StmtKind::Create {
                    name,
                    capacity,
                    overflow,
                    receivers,
                    lifetime,
                }
            }
            "grant" => self.grant_or_revoke(true)?,
            "select" => self.select()?,
            "pass" => self.pass()?,
            "grant_send" => {
                let name = self.ident("a mailbox name")?;
                if !self.eat_word("to") {
                    return Err(self.unexpected("`to`"));
                }
                let to = self.target("the process to give a send right")?;
                StmtKind::GrantSend { name, to }
            }
            "revoke" => self.grant_or_revoke(false)?,
            "delete" => StmtKind::Delete {
                name: self.ident("a mailbox name")?,
            },
            "transfer" => {
                let name = self.ident("a mailbox name")?;
                if !self.eat_word("to") {
                    return Err(self.unexpected("`to`"));
                }
                let to = self.target("the new owner's name")?;
                StmtKind::Transfer { name, to }
            }
            "spawn" => StmtKind::Spawn {
                name: self.ident("the name of a process declared `spawned`")?,
                arg: if self.eat_word("with") {
                    Some(self.expr("the value its copies see as `arg`")?)
                } else {
                    None
                },
            },
            "exit" => {
                let code = self.expr("an exit code")?;
                match code.constant() {
                    // A number (or arithmetic on numbers) is checked here, as it always was.
                    Some(Ok(n)) => StmtKind::Exit(i32::try_from(n).map_err(|_| {
                        Diagnostic::new(
                            code.span,
                            "exit code out of range",
                            "expected a 32-bit code",
                        )
                    })?),
                    _ => StmtKind::ExitValue(code),
                }
            }
            "repeat" => {
                let times = self.expr("a number of times")?;
                StmtKind::Repeat {
                    times,
                    body: self.block()?,
                }
            }
            "loop" => StmtKind::Loop {
                body: self.block()?,
            },
            "if" => {
                let cond = self.expectation()?;
                let then = self.block()?;
                // `else` may start the next line.
                let before_else = self.pos;
                self.skip_ends();
                if !self.is_word("else") {
                    self.pos = before_else;
                }
                let otherwise = if self.eat_word("else") {
                    self.block()?
                } else {
                    Vec::new()
                };
                StmtKind::If {
                    cond,
                    then,
                    otherwise,
                }
            }
            "while" => self.while_loop(start)?,
            "break" => StmtKind::Break,
            "print" => StmtKind::Print(self.template("the text, in quotes")?),
            "let" => {
                let name = self.ident("a name to bind")?;
                if Var::builtin(&name.name).is_some() {
                    return Err(Diagnostic::new(
                        name.span,
                        format!("`{}` is a built-in placeholder", name.name),
                        "choose another name",
                    ));
                }
                if self.peek().kind == Tok::Assign {
                    self.next();
                    let value = self.expr("a value: a number, a name or arithmetic")?;
                    return self.finish(start, StmtKind::Assign { name, value });
                }
                StmtKind::Let {
                    name,
                    value: self.template("its value, in quotes")?,
                }
            }
            "expect" => StmtKind::Expect(self.expectation()?),
            _ => {
                let hint = suggest(&word, STATEMENTS);
                let mut d = Diagnostic::new(
                    start,
                    format!("unknown statement `{word}`"),
                    format!("expected a statement ({STATEMENTS})"),
                );
                if let Some(h) = hint {
                    d = d.note(format!("did you mean `{h}`?"));
                }
                return Err(d);
            }
        };
        self.finish(start, kind)
    }

    /// A statement that started at `start`, ending at the last token read.
    fn finish(&mut self, start: Span, kind: StmtKind) -> PResult<Stmt> {
        let end = self.toks[self.pos.saturating_sub(1)].span;
        self.end_of_statement()?;
        Ok(Stmt {
            kind,
            span: start.to(end),
        })
    }

    /// `while TEST { body }`, read as `loop { if TEST { } else { break } body }`: `{i}`,
    /// `break` and the step budget work as in any `loop`.
    fn while_loop(&mut self, start: Span) -> PResult<StmtKind> {
        let cond = self.expectation()?;
        if self.depth + 1 >= MAX_NESTING {
            return Err(Diagnostic::new(
                start,
                format!("blocks nest at most {MAX_NESTING} deep"),
                format!("a `while` here needs block {} for its test", self.depth + 2),
            ));
        }
        let mut body = self.block()?;
        let test = Stmt {
            span: cond.span,
            kind: StmtKind::If {
                cond,
                then: Vec::new(),
                otherwise: vec![Stmt {
                    kind: StmtKind::Break,
                    span: start,
                }],
            },
        };
        body.insert(0, test);
        Ok(StmtKind::Loop { body })
    }
}

/// `left op right`.
fn binary(op: BinOp, left: Expr, right: Expr) -> Expr {
    Expr {
        span: left.span.to(right.span),
        kind: ExprKind::Binary(op, Box::new(left), Box::new(right)),
    }
}

/// The closest word in a comma-separated list, when it is close enough to be a typo.
fn suggest<'a>(word: &str, list: &'a str) -> Option<&'a str> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty() && *w != "or")
        .filter_map(|w| Some((distance_within(word, w, TYPO)?, w)))
        .filter(|(d, w)| *d < w.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, w)| w)
}

/// The most edits between a word and the name it is taken to be a typo of.
pub(crate) const TYPO: usize = 2;

/// The Levenshtein distance between `a` and `b` if it is at most `max`, for "did you mean".
///
/// Only the cells within `max` of the diagonal can hold such a distance, so the work is
/// `O(max × len)` rather than `O(len²)`: names can be as long as the file.
pub(crate) fn distance_within(a: &str, b: &str, max: usize) -> Option<usize> {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let far = max + 1;
    // prev[j] and cur[j]: the distance between a[..i] and b[..j] (or `far`, for anything
    // over `max`). Only the band of cells within `max` of the diagonal is computed; the cell
    // just outside it on each side is set to `far`, so stale cells are never read.
    let mut prev: Vec<usize> = (0..=b.len()).map(|j| j.min(far)).collect();
    let mut cur = vec![far; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        let (lo, hi) = ((i + 1).saturating_sub(max), (i + 1 + max).min(b.len()));
        if lo == 0 {
            cur[0] = (i + 1).min(far);
        } else {
            cur[lo - 1] = far;
        }
        for j in lo.max(1)..=hi {
            let cost = usize::from(*ca != b[j - 1]);
            cur[j] = (prev[j - 1] + cost)
                .min(prev[j] + 1)
                .min(cur[j - 1] + 1)
                .min(far);
        }
        if let Some(next) = cur.get_mut(hi + 1) {
            *next = far;
        }
        if cur[lo..=hi].iter().all(|&d| d >= far) {
            return None;
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[b.len()]).filter(|&d| d <= max)
}

/// Split a string literal's raw text (between its quotes, starting at `span.start + 1`) into
/// text and placeholders, processing escapes.
fn parse_template(src: &str, raw: &str, span: Span) -> PResult<Template> {
    let _ = src;
    let base = span.start + 1;
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = raw.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let Some((j, e)) = chars.next() else {
                    break;
                };
                text.push(match e {
                    'n' => '\n',
                    't' => '\t',
                    '\\' => '\\',
                    '"' => '"',
                    '{' => '{',
                    '}' => '}',
                    _ => {
                        return Err(Diagnostic::new(
                            Span::new(base + i, base + j + e.len_utf8()),
                            format!("unknown escape `\\{e}`"),
                            "not an escape",
                        )
                        .note("the escapes are \\n, \\t, \\\\, \\\", \\{ and \\}"))
                    }
                });
            }
            '{' => {
                let close = raw[i..].find('}').map(|k| i + k);
                let Some(close) = close else {
                    return Err(Diagnostic::new(
                        Span::new(base + i, base + raw.len()),
                        "unclosed placeholder",
                        "this `{` has no `}`",
                    )
                    .note("write a literal brace as \\{"));
                };
                let inner = &raw[i + 1..close];
                let here = Span::new(base + i, base + close + 1);
                let (name, offset) = match inner.find(['+', '-']) {
                    Some(k) => {
                        let malformed = || {
                            Diagnostic::new(
                                here,
                                "malformed offset",
                                "expected `{name+N}` or `{name-N}`, N a 64-bit number",
                            )
                        };
                        let n: i64 = inner[k + 1..].trim().parse().map_err(|_| malformed())?;
                        // `{x--9223372036854775808}`: the one offset that has no negation.
                        let n = if &inner[k..k + 1] == "-" {
                            n.checked_neg().ok_or_else(malformed)?
                        } else {
                            n
                        };
                        (inner[..k].trim(), n)
                    }
                    None => (inner.trim(), 0),
                };
                if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    return Err(Diagnostic::new(
                        here,
                        format!("malformed placeholder `{{{inner}}}`"),
                        "expected a placeholder name",
                    )
                    .note("the placeholders are {i}, {i1}, {i2}, ..., {name}, {copy}, {pid}, {sender}, {msg}, {arg}, {reply}, {reply_sender}, {status} and names bound by `let`; write a literal brace as \\{"));
                }
                let var = Var::from_name(name);
                if offset != 0 && !var.is_number() {
                    return Err(Diagnostic::new(
                        here,
                        format!("`{{{name}}}` is not a number"),
                        "only {i}, {iN}, {copy} and `let` names take an offset",
                    ));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(core::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(var, offset));
                while chars.peek().is_some_and(|(k, _)| *k <= close) {
                    chars.next();
                }
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(Template { pieces, span })
}

/// Parse a scenario file. `file` is the name diagnostics show. On mistakes, the first of them
/// in the file ([`parse_all`] gives every one).
pub fn parse(file: &str, source: &str) -> Result<Scenario, Diagnostic> {
    parse_all(file, source).map_err(|mut mistakes| mistakes.swap_remove(0))
}

/// Parse a scenario file, going on after each mistake at the next statement or declaration:
/// the scenario, or every mistake of form found, in file order (never an empty list).
pub fn parse_all(file: &str, source: &str) -> Result<Scenario, Vec<Diagnostic>> {
    let (toks, mut mistakes) = lex(source);
    let mut parser = Parser {
        src: source,
        toks,
        pos: 0,
        depth: 0,
        mistakes: Vec::new(),
        parens: 0,
        lexed_mistakes: mistakes.len(),
        // A lexer that stopped has said so: the parser adds nothing after it.
        stopped: (mistakes.len() > MAX_FORM_MISTAKES).then_some(usize::MAX),
    };
    let mut scenario = Scenario {
        file: file.to_string(),
        source: source.to_string(),
        ..Scenario::default()
    };
    parser.file(&mut scenario);
    if let Some(at) = parser.stopped {
        // What the lexer found past where the parser stopped is past the report's end.
        mistakes.retain(|d| d.span.start <= at);
    }
    mistakes.append(&mut parser.mistakes);
    if mistakes.is_empty() {
        return Ok(scenario);
    }
    // The lexer's and the parser's mistakes interleave: one order, the file's.
    mistakes.sort_by_key(|d| d.span.start);
    Err(mistakes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_banded_distance_is_the_edit_distance_up_to_its_bound() {
        /// The whole table, for reference.
        fn full(a: &str, b: &str) -> usize {
            let b: Vec<char> = b.chars().collect();
            let mut prev: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.chars().enumerate() {
                let mut cur = vec![i + 1];
                for (j, cb) in b.iter().enumerate() {
                    let cost = usize::from(ca != *cb);
                    cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
                }
                prev = cur;
            }
            prev[b.len()]
        }
        let words = [
            "", "a", "ab", "ba", "abc", "acb", "jobs", "jbos", "jobs2", "obs", "sender", "send",
            "recieve", "receive", "ééx", "éx", "worker", "wroker", "xxxxxxxx",
        ];
        for a in words {
            for b in words {
                for max in 0..4 {
                    let d = full(a, b);
                    let want = (d <= max).then_some(d);
                    assert_eq!(distance_within(a, b, max), want, "{a:?} {b:?} {max}");
                }
            }
        }
        let long = "n".repeat(1_000_000);
        assert_eq!(distance_within(&long, &long, TYPO), Some(0));
        assert_eq!(distance_within(&long, &format!("{long}ab"), TYPO), Some(2));
    }

    /// Each mistake of form is reported where it is, in file order, and the parser goes on
    /// at the next statement or declaration: typos on several lines are several mistakes.
    #[test]
    fn the_parser_goes_on_after_a_mistake_and_reports_each_in_file_order() {
        let text = "mailbox jobs capacity 2\n\
                    proces helper { compute 1 }\n\
                    process worker count 2 {\n\
                    \x20 sned jobs \"a\"\n\
                    \x20 repeat 3 {\n\
                    \x20   recieve jobs\n\
                    \x20 }\n\
                    \x20 send jobs \"x\" timeout\n\
                    }\n\
                    process consumer priorty 3 {\n\
                    \x20 receive jobs; compute *; yield\n\
                    \x20 print \"unterminated\n\
                    \x20 print \"fine\" @\n\
                    }\n";
        let found = parse_all("typos.sim", text).expect_err("eight mistakes");
        let at: Vec<(usize, usize, &str)> = found
            .iter()
            .map(|d| {
                let (line, col) = line_col(text, d.span.start);
                (line, col, d.message.as_str())
            })
            .collect();
        assert_eq!(
            at,
            [
                (2, 1, "expected `set`, `mailbox`, `process` or `fault`, found `proces`"),
                (4, 3, "unknown statement `sned`"),
                (6, 5, "unknown statement `recieve`"),
                (8, 24, "expected a timeout in ticks, found the end of the line"),
                (
                    10,
                    18,
                    "expected `count`, `priority`, `inbox`, `burst`, `arrive`, `spawned`, `daemon` or `{`, found `priorty`"
                ),
                (11, 25, "expected a number of ticks, found `*`"),
                (12, 9, "unterminated string"),
                (13, 16, "unexpected character `@`"),
            ]
        );
        // "Did you mean" survives recovery, for statements, declarations and attributes.
        for (i, hint) in [(0, "process"), (1, "send"), (2, "receive"), (4, "priority")] {
            assert!(
                found[i].notes.contains(&format!("did you mean `{hint}`?")),
                "{:?}",
                found[i]
            );
        }
        // `parse` keeps its contract: the first mistake.
        assert_eq!(parse("typos.sim", text).expect_err("mistakes"), found[0]);
    }

    /// A block opened on a broken line is still read (its mistakes count); an unclosed block
    /// is one mistake at its `{`; a stray `}` at the top level is one mistake, not a loop.
    #[test]
    fn recovery_reads_blocks_on_broken_lines_and_always_ends() {
        let text = "process a {\n  repeat * {\n    yeild\n  }\n  yield\n}\n}\nprocess b {\n";
        let found = parse_all("blocks.sim", text).expect_err("mistakes");
        let lines: Vec<usize> = found
            .iter()
            .map(|d| line_col(text, d.span.start).0)
            .collect();
        assert_eq!(lines, [2, 3, 7, 8], "{found:?}");
        assert_eq!(found[1].message, "unknown statement `yeild`");
        assert_eq!(found[3].message, "this block is never closed");
        // A mistake-free file still parses, and a file of nothing but junk ends.
        assert!(parse_all("ok.sim", "process a { yield }\n").is_ok());
        let junk = "} { ] [ \" @ 99999999999999999999999 x\n".repeat(1000);
        let found = parse_all("junk.sim", &junk).expect_err("junk");
        assert!(!found.is_empty());
        assert!(found.windows(2).all(|w| w[0].span.start <= w[1].span.start));
    }

    /// The depth counts blocks that enclose each other, not blocks in a row: a closed block
    /// gives its level back.
    #[test]
    fn only_enclosing_blocks_count_toward_the_nesting_limit() {
        let (open, close) = (
            "repeat 1 { ".repeat(MAX_NESTING - 2),
            "} ".repeat(MAX_NESTING - 2),
        );
        let inner = format!("{open}{close}");
        let row = format!("repeat 1 {{ {inner} }}\n").repeat(200);
        let text = format!("process a {{\n{row}}}\nprocess b {{\n{row}}}\n");
        let s = parse("row.sim", &text).expect("every block is within the limit");
        assert_eq!(s.processes[1].body.len(), 200);

        let over = format!("process a {{ repeat 1 {{ {open}repeat 1 {{ }} {close}}} }}\n");
        let d = parse("over.sim", &over).expect_err("one level too deep");
        assert_eq!(d.message, format!("blocks nest at most {MAX_NESTING} deep"));
        assert_eq!(
            d.label,
            format!("this `{{` would open block {}", MAX_NESTING + 1)
        );
    }
}
