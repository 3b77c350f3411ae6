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
use super::{Diagnostic, MAX_NESTING};
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
            Tok::End => "the end of the line".to_string(),
            Tok::Eof => "the end of the file".to_string(),
        }
    }
}

fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
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
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None | Some(b'\n') => {
                            return Err(Diagnostic::new(
                                Span::new(start, i),
                                "unterminated string",
                                "this string has no closing `\"`",
                            )
                            .note("a string ends on the line it starts; write a newline as \\n"))
                        }
                        Some(b'\\') => {
                            // Skip the escaped character whole, however many bytes it is.
                            i += 1;
                            i += src[i..].chars().next().map_or(0, char::len_utf8);
                        }
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
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
                let n = text.parse::<u64>().map_err(|_| {
                    if text.bytes().all(|b| b.is_ascii_digit()) {
                        Diagnostic::new(span, "number too large", "this does not fit in 64 bits")
                    } else {
                        Diagnostic::new(span, "malformed number", "expected digits only")
                    }
                })?;
                out.push(Token {
                    kind: Tok::Int(n),
                    span,
                });
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
                return Err(Diagnostic::new(
                    span,
                    format!("unexpected character `{}`", ch.escape_default()),
                    "not part of the scenario language",
                )
                .note("names are letters, digits and `_`; text goes in double quotes"));
            }
        }
    }
    out.push(Token {
        kind: Tok::Eof,
        span: Span::new(src.len(), src.len()),
    });
    Ok(out)
}

/// The words that start a statement, for "expected" lists.
const STATEMENTS: &str = "send, call, receive, reply, compute, sleep, yield, create, delete, \
    transfer, grant, revoke, select, pass, grant_send, spawn, exit, repeat, loop, if, break, print, let or expect";

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// How many blocks enclose the next token.
    depth: usize,
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
            to,
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

    fn file(&mut self, scenario: &mut Scenario) -> PResult<()> {
        loop {
            self.skip_ends();
            let t = self.peek().clone();
            match &t.kind {
                Tok::Eof => return Ok(()),
                Tok::Word(w) if w == "set" => {
                    let s = self.setting()?;
                    scenario.settings.push(s);
                }
                Tok::Word(w) if w == "mailbox" => {
                    let m = self.mailbox()?;
                    scenario.mailboxes.push(m);
                }
                Tok::Word(w) if w == "process" => {
                    let p = self.process()?;
                    scenario.processes.push(p);
                }
                Tok::Word(w) if w == "fault" => {
                    let f = self.fault()?;
                    scenario.faults.push(f);
                }
                _ => {
                    return Err(self
                        .unexpected("`set`, `mailbox`, `process` or `fault`")
                        .note(
                            "a scenario is made of `set`, `mailbox`, `process` and `fault` lines",
                        ))
                }
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
            body: Vec::new(),
            span: start,
        };
        loop {
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
            } else {
                break;
            }
        }
        decl.span = start.to(self.toks[self.pos.saturating_sub(1)].span);
        if self.peek().kind != Tok::LBrace {
            return Err(self.unexpected("`count`, `priority`, `inbox`, `burst`, `spawned` or `{`"));
        }
        decl.body = self.block()?;
        self.end_of_statement()?;
        Ok(decl)
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

    /// The statements of the block opened at `open`, up to and including its `}`.
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
                _ => body.push(self.statement()?),
            }
        }
    }

    fn mode(&mut self) -> PResult<ModeSpec> {
        if self.eat_word("nonblocking") {
            Ok(ModeSpec::NonBlocking)
        } else if self.eat_word("timeout") {
            Ok(ModeSpec::Timeout(self.int("a timeout in ticks")?.0))
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
            let idx = if self.eat_word("copy") {
                let offset = match self.peek().kind {
                    Tok::Plus => {
                        self.next();
                        self.int_in("an offset", u32::MAX as u64)?.0 as i64
                    }
                    Tok::Minus => {
                        self.next();
                        -(self.int_in("an offset", u32::MAX as u64)?.0 as i64)
                    }
                    _ => 0,
                };
                CopyIndex::Relative(offset)
            } else {
                let what = "a copy number or `copy`";
                CopyIndex::Fixed(self.int_in(what, u32::MAX as u64)?.0 as u32)
            };
            if self.peek().kind != Tok::RBracket {
                return Err(self.unexpected("`]`"));
            }
            span = span.to(self.next().span);
            index = Some(idx);
        }
        Ok(Target { name, index, span })
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
            "reply" => StmtKind::Reply {
                payload: self.template("the reply, in quotes")?,
            },
            "compute" => StmtKind::Compute(self.int("a number of ticks")?.0),
            "sleep" => StmtKind::Sleep(self.int("a number of ticks")?.0),
            "yield" => StmtKind::Yield,
            "create" => {
                let name = self.ident("the new mailbox's name")?;
                let mut capacity = Capacity::Zero;
                let mut overflow = OverflowSpec::Block;
                let mut receivers = abi::Receivers::OwnerOnly;
                let mut lifetime = abi::Lifetime::Owner;
                loop {
                    if self.eat_word("capacity") {
                        capacity = self.capacity()?;
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
            },
            "exit" => {
                let negative = if self.peek().kind == Tok::Minus {
                    self.next();
                    true
                } else {
                    false
                };
                let (n, span) = self.int("an exit code")?;
                let code = if negative {
                    i32::try_from(n).map(|n| -n)
                } else {
                    i32::try_from(n)
                };
                StmtKind::Exit(code.map_err(|_| {
                    Diagnostic::new(span, "exit code out of range", "expected a 32-bit code")
                })?)
            }
            "repeat" => {
                let times = self.int("a number of times")?.0;
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
        let end = self.toks[self.pos.saturating_sub(1)].span;
        self.end_of_statement()?;
        Ok(Stmt {
            kind,
            span: start.to(end),
        })
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
                    .note("the placeholders are {i}, {i1}, {i2}, ..., {name}, {copy}, {pid}, {sender}, {msg} and names bound by `let`; write a literal brace as \\{"));
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

/// Parse a scenario file. `file` is the name diagnostics show.
pub fn parse(file: &str, source: &str) -> Result<Scenario, Diagnostic> {
    let toks = lex(source)?;
    let mut parser = Parser {
        src: source,
        toks,
        pos: 0,
        depth: 0,
    };
    let mut scenario = Scenario {
        file: file.to_string(),
        source: source.to_string(),
        ..Scenario::default()
    };
    parser.file(&mut scenario)?;
    Ok(scenario)
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
