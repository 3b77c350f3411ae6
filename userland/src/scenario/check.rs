//! The checker: every mistake in a scenario that can be seen without running it.
//!
//! It resolves each name against the declarations (processes, boot mailboxes, mailboxes some
//! process creates), checks copy indexes, that a process receives only from a mailbox it can
//! come to own, that `break`, `reply` and `expect` have something to act on, and that the
//! settings make sense. It reports every mistake it finds, in file order, and changes
//! nothing: a scenario that passes runs exactly as written.
//!
//! It is linear in the file: one walk over each process body gathers what the questions
//! need (who receives from which mailbox, who creates and who is handed which), names are
//! looked up in ordered maps, and a statement never rescans the file. The one search that
//! compares a name with every other, "did you mean", has a fixed budget of work.

use super::ast::*;
use super::parse::{distance_within, TYPO};
use super::{Diagnostic, MAX_VALUE_BYTES};
use std::collections::{BTreeMap, BTreeSet};

/// Names a scenario may not give to a process or mailbox, because the language or the
/// interpreter already uses them.
const RESERVED: &[&str] = &["init", "any", "from", "copy", "sender", "to", "unbounded"];

/// Check `s`; an empty list means it can run.
pub fn check(s: &Scenario) -> Vec<Diagnostic> {
    let mut c = Checker::new(s);
    c.declarations();
    c.settings();
    for (i, p) in s.processes.iter().enumerate() {
        c.placeholders(p);
        let mut ctx = BodyCtx {
            proc: i,
            loops: 0,
            has_result: false,
        };
        c.body(&p.body, &mut ctx);
    }
    c.owners();
    c.faults();
    c.out.sort_by_key(|d| d.span.start);
    c.out
}

/// How many characters of names "did you mean" may compare in one check: enough for every
/// suggestion in any file a person writes, and a bound on a file written to make the search
/// quadratic (thousands of unknown names against thousands of declared ones). Past it,
/// mistakes are still reported, without a suggestion.
const SUGGESTION_WORK: usize = 20_000_000;

struct Checker<'a> {
    s: &'a Scenario,
    out: Vec<Diagnostic>,
    /// Each process name, with its first declaration.
    procs: BTreeMap<&'a str, usize>,
    /// Each boot mailbox name, with its first declaration.
    boot: BTreeMap<&'a str, usize>,
    /// Mailbox names some process creates, with the first place each is created.
    created: BTreeMap<&'a str, Span>,
    /// What each process's body does, by declaration.
    facts: Vec<Facts<'a>>,
    /// Each mailbox name, with the processes that receive from it.
    receivers: BTreeMap<&'a str, BTreeSet<usize>>,
    /// `(mailbox, new owner)` of every `transfer`.
    transfers: BTreeSet<(&'a str, &'a str)>,
    /// (mailbox, process) pairs of every `grant` statement.
    grants: BTreeSet<(&'a str, &'a str)>,
    /// What is left of [`SUGGESTION_WORK`].
    suggestion_work: usize,
}

/// What one process's body does, gathered in one walk.
#[derive(Default)]
struct Facts<'a> {
    /// It has a `receive` statement.
    receives: bool,
    /// The mailboxes it creates.
    creates: BTreeSet<&'a str>,
}

struct BodyCtx {
    proc: usize,
    loops: usize,
    has_result: bool,
}

/// Every statement in a body, nested blocks included, in file order. Iterative: it keeps
/// one iterator per open block rather than one stack frame.
pub(crate) fn walk<'a>(body: &'a [Stmt], f: &mut impl FnMut(&'a Stmt)) {
    let mut open = vec![body.iter()];
    while let Some(block) = open.last_mut() {
        let Some(st) = block.next() else {
            open.pop();
            continue;
        };
        crate::work::step(1);
        f(st);
        match &st.kind {
            StmtKind::Repeat { body, .. } | StmtKind::Loop { body } => open.push(body.iter()),
            StmtKind::If {
                then, otherwise, ..
            } => {
                open.push(otherwise.iter());
                open.push(then.iter());
            }
            _ => {}
        }
    }
}

impl<'a> Checker<'a> {
    /// A checker with every body walked once and every name indexed.
    fn new(s: &'a Scenario) -> Checker<'a> {
        let mut c = Checker {
            s,
            out: Vec::new(),
            procs: BTreeMap::new(),
            boot: BTreeMap::new(),
            created: BTreeMap::new(),
            facts: Vec::with_capacity(s.processes.len()),
            receivers: BTreeMap::new(),
            transfers: BTreeSet::new(),
            grants: BTreeSet::new(),
            suggestion_work: SUGGESTION_WORK,
        };
        for (i, p) in s.processes.iter().enumerate() {
            c.procs.entry(&p.name.name).or_insert(i);
        }
        for (i, m) in s.mailboxes.iter().enumerate() {
            c.boot.entry(&m.name.name).or_insert(i);
        }
        for (i, p) in s.processes.iter().enumerate() {
            let mut facts = Facts::default();
            walk(&p.body, &mut |st| match &st.kind {
                StmtKind::Receive { from, .. } => {
                    facts.receives = true;
                    if let SourceSpec::Mailbox(m) = from {
                        c.receivers.entry(&m.name).or_default().insert(i);
                    }
                }
                StmtKind::Create { name, .. } => {
                    facts.creates.insert(&name.name);
                    c.created.entry(&name.name).or_insert(name.span);
                }
                StmtKind::Transfer { name, to } => {
                    c.transfers.insert((&name.name, &to.name.name));
                }
                StmtKind::Grant { name, to } => {
                    c.grants.insert((&name.name, &to.name.name));
                }
                // A receive right passed in a message makes its receiver the owner.
                StmtKind::Pass {
                    receive: true,
                    mailbox,
                    to,
                    ..
                } => {
                    c.transfers.insert((&mailbox.name, &to.name.name));
                }
                _ => {}
            });
            c.facts.push(facts);
        }
        c
    }

    /// The process declared as `name`.
    fn process(&self, name: &str) -> Option<(usize, &'a ProcessDecl)> {
        crate::work::step(1);
        let i = *self.procs.get(name)?;
        Some((i, &self.s.processes[i]))
    }

    /// The boot mailbox declared as `name`.
    fn mailbox(&self, name: &str) -> Option<&'a MailboxDecl> {
        crate::work::step(1);
        self.boot.get(name).map(|&i| &self.s.mailboxes[i])
    }
}

impl Checker<'_> {
    fn err(&mut self, d: Diagnostic) {
        self.out.push(d);
    }

    fn declarations(&mut self) {
        let s = self.s;
        let mut seen: BTreeMap<&str, (Span, &str)> = BTreeMap::new();
        let decls = s
            .processes
            .iter()
            .map(|p| (&p.name, "process"))
            .chain(s.mailboxes.iter().map(|m| (&m.name, "mailbox")));
        for (ident, kind) in decls {
            if RESERVED.contains(&ident.name.as_str()) {
                self.err(Diagnostic::new(
                    ident.span,
                    format!("`{}` is a reserved name", ident.name),
                    "choose another name",
                ));
            }
            if let Some((first, first_kind)) = seen.get(ident.name.as_str()) {
                self.err(
                    Diagnostic::new(
                        ident.span,
                        format!("`{}` is declared twice", ident.name),
                        format!("this {kind} reuses the name"),
                    )
                    .related(*first, format!("first declared here as a {first_kind}"))
                    .note("processes and mailboxes share one namespace"),
                );
            } else {
                seen.insert(&ident.name, (ident.span, kind));
            }
        }
        let created: Vec<(&str, Span)> = self.created.iter().map(|(n, s)| (*n, *s)).collect();
        for (name, span) in created {
            if let Some((decl, "process")) = seen.get(name) {
                self.err(
                    Diagnostic::new(
                        span,
                        format!("`{name}` is a process, not a mailbox"),
                        "a created mailbox needs a name no process has",
                    )
                    .related(*decl, "the process"),
                );
            }
        }
        if !s.processes.iter().any(|p| !p.spawned) {
            let at = s
                .processes
                .first()
                .map_or(Span::new(s.source.len(), s.source.len()), |p| p.name.span);
            self.err(
                Diagnostic::new(
                    at,
                    "nothing starts",
                    "expected a `process` that is not `spawned`",
                )
                .note("a scenario needs at least one process that starts at boot"),
            );
        }
    }

    /// Every `{NAME}` a process's templates use must be bound by one of its `let`s, and no
    /// text is longer than a value may be before it is even filled in.
    fn placeholders(&mut self, p: &ProcessDecl) {
        let mut bound = BTreeSet::new();
        let mut templates: Vec<&Template> = Vec::new();
        let mut values: Vec<&Expr> = Vec::new();
        walk(&p.body, &mut |st| {
            values.extend(statement_values(st));
            match &st.kind {
                StmtKind::Let { name, value } => {
                    bound.insert(name.name.clone());
                    templates.push(value);
                }
                StmtKind::Assign { name, .. } => {
                    bound.insert(name.name.clone());
                }
                StmtKind::Send { payload, .. }
                | StmtKind::Call { payload, .. }
                | StmtKind::Pass { payload, .. }
                | StmtKind::Reply { payload }
                | StmtKind::ReplyTo { payload, .. }
                | StmtKind::Print(payload) => templates.push(payload),
                _ => {}
            }
            let cond = match &st.kind {
                StmtKind::Expect(e) | StmtKind::If { cond: e, .. } => Some(e),
                _ => None,
            };
            if let Some(Expect {
                kind: ExpectKind::Bytes(t) | ExpectKind::MultipleOf(t),
                ..
            }) = cond
            {
                templates.push(t);
            }
        });
        for value in values {
            for (name, span) in value.names() {
                if Var::builtin(name).is_some() || bound.contains(name) {
                    continue;
                }
                let mut d = Diagnostic::new(
                    span,
                    format!("unknown value `{name}`"),
                    format!("`{}` never binds `{name}` with `let`", p.name.name),
                )
                .note("a value reads numbers, i, i1, i2, ..., copy, arg, status and names bound by `let`");
                let close = bound
                    .iter()
                    .find(|b| distance_within(name, b, TYPO).is_some_and(|d| d < b.len()));
                if let Some(b) = close {
                    d = d.note(format!("did you mean `{b}`?"));
                }
                self.err(d);
            }
            if let Some(Err(why)) = value.constant() {
                self.err(Diagnostic::new(
                    value.span,
                    "this value cannot be computed",
                    why,
                ));
            }
        }
        for t in templates {
            // What the text holds before any placeholder is filled in: over the limit, it
            // could only stop the process when it runs.
            let literal: usize = t
                .pieces
                .iter()
                .map(|piece| match piece {
                    Piece::Text(text) => text.len(),
                    Piece::Var(..) => 0,
                })
                .sum();
            if literal > MAX_VALUE_BYTES {
                self.err(Diagnostic::new(
                    t.span,
                    format!("a text of {literal} bytes"),
                    format!("a value holds at most {MAX_VALUE_BYTES} bytes"),
                ));
            }
            for piece in &t.pieces {
                if let Piece::Var(Var::Let(name), _) = piece {
                    if !bound.contains(name) {
                        self.err(
                            Diagnostic::new(
                                t.span,
                                format!("unknown placeholder `{{{name}}}`"),
                                format!("`{}` never binds `{name}` with `let`", p.name.name),
                            )
                            .note("the placeholders are {i}, {i1}, {i2}, ..., {name}, {copy}, {pid}, {sender}, {msg}, {arg}, {reply}, {reply_sender}, {status} and names bound by `let`"),
                        );
                    }
                }
            }
        }
    }

    fn settings(&mut self) {
        let mut seen: BTreeMap<SettingKey, Span> = BTreeMap::new();
        for set in &self.s.settings {
            if let Some(first) = seen.get(&set.key) {
                self.err(
                    Diagnostic::new(
                        set.span,
                        format!("`{}` is set twice", set.key.name()),
                        "second setting",
                    )
                    .related(*first, "first set here"),
                );
            }
            seen.insert(set.key, set.span);
            if set.key == SettingKey::Quantum && set.value == SettingValue::Number(0) {
                self.err(Diagnostic::new(
                    set.span,
                    "a quantum of 0 ticks",
                    "expected at least 1",
                ));
            }
            if set.key == SettingKey::MaxStepsPerTick && set.value == SettingValue::Number(0) {
                self.err(Diagnostic::new(
                    set.span,
                    "no kernel entry at all at a tick",
                    "expected at least 1",
                ));
            }
        }
    }

    fn is_mailbox(&self, name: &str) -> bool {
        self.boot.contains_key(name) || self.created.contains_key(name)
    }

    /// Resolve a target naming a process; `any_copy` allows a bare name for a process with
    /// several copies (`expect sender worker`).
    fn process_target(&mut self, t: &Target, any_copy: bool, what: &str) -> Option<usize> {
        let Some((i, p)) = self.process(&t.name.name) else {
            let mut d = Diagnostic::new(
                t.name.span,
                format!("no process named `{}`", t.name.name),
                format!("expected {what}"),
            );
            if self.is_mailbox(&t.name.name) {
                d = d.note(format!("`{}` is a mailbox", t.name.name));
            } else if let Some(n) = self.closest(&t.name.name) {
                d = d.note(format!("did you mean `{n}`?"));
            }
            self.err(d);
            return None;
        };
        self.copy_index(t, p, any_copy);
        Some(i)
    }

    fn copy_index(&mut self, t: &Target, p: &ProcessDecl, any_copy: bool) {
        // A value the file already fixes is checked like a number; any other is checked
        // when it is computed.
        if let Some(CopyIndex::Value { expr, wrap }) = &t.index {
            if let (false, Some(Ok(n))) = (*wrap, expr.constant()) {
                if u32::try_from(n).map_or(true, |n| n >= p.count) {
                    self.err(
                        Diagnostic::new(
                            t.span,
                            format!("`{}` has no copy {n}", p.name.name),
                            format!("its copies are 0 to {}", p.count - 1),
                        )
                        .related(p.name.span, "declared here")
                        .note("write `[wrap ...]` for an index that wraps around the copies"),
                    );
                }
            }
            return;
        }
        match &t.index {
            None if p.count > 1 && !any_copy => self.err(
                Diagnostic::new(
                    t.span,
                    format!("`{}` has {} copies: say which", p.name.name, p.count),
                    format!(
                        "expected `{0}[0]` .. `{0}[{1}]` or `{0}[copy]`",
                        p.name.name,
                        p.count - 1
                    ),
                )
                .related(p.name.span, "declared here"),
            ),
            Some(CopyIndex::Fixed(n)) if *n >= p.count => self.err(
                Diagnostic::new(
                    t.span,
                    format!("`{}` has no copy {n}", p.name.name),
                    format!("its copies are 0 to {}", p.count - 1),
                )
                .related(p.name.span, "declared here"),
            ),
            _ => {}
        }
    }

    /// The declared or created name closest to `name`, if it is close enough to be a typo
    /// and the search still has work left.
    fn closest(&mut self, name: &str) -> Option<String> {
        let s = self.s;
        let names = s
            .processes
            .iter()
            .map(|p| p.name.name.as_str())
            .chain(s.mailboxes.iter().map(|m| m.name.name.as_str()))
            .chain(self.created.keys().copied());
        let mut best: Option<(usize, &str)> = None;
        for n in names {
            // A comparison costs about the shorter name's length times the band's width.
            let cost = 1 + name.len().min(n.len()) * (2 * TYPO + 1);
            let Some(left) = self.suggestion_work.checked_sub(cost) else {
                self.suggestion_work = 0;
                return None;
            };
            crate::work::step(cost as u64);
            self.suggestion_work = left;
            if let Some(d) = distance_within(name, n, TYPO) {
                if d < n.len() && best.is_none_or(|(b, _)| d < b) {
                    best = Some((d, n));
                }
            }
        }
        best.map(|(_, n)| n.to_string())
    }

    fn mailbox_name(&mut self, ident: &Ident, what: &str) -> bool {
        if self.is_mailbox(&ident.name) {
            return true;
        }
        let mut d = Diagnostic::new(
            ident.span,
            format!("no mailbox named `{}`", ident.name),
            format!("expected {what}"),
        );
        if self.process(&ident.name).is_some() {
            d = d.note(format!(
                "`{0}` is a process: receive from it with `receive from {0}`",
                ident.name
            ));
        } else if let Some(n) = self.closest(&ident.name) {
            d = d.note(format!("did you mean `{n}`?"));
        } else {
            d = d.note("declare it with `mailbox NAME`, or `create` it in a process");
        }
        self.err(d);
        false
    }

    fn body(&mut self, body: &[Stmt], ctx: &mut BodyCtx) {
        for st in body {
            crate::work::step(1);
            self.statement(st, ctx);
            if st.kind.has_result() {
                ctx.has_result = true;
            }
        }
    }

    fn expectation(&mut self, e: &Expect, ctx: &BodyCtx, what: &str) {
        if !ctx.has_result && !matches!(e.kind, ExpectKind::Value(_)) {
            self.err(
                Diagnostic::new(
                    e.span,
                    format!("nothing to {what} yet"),
                    "no statement before this one has a result",
                )
                .note("`expect` and `if` look at the result of the last send, call, receive, reply, create, delete, transfer, lookup, spawn, wait or print (a comparison of values, `if n < 3`, needs none)"),
            );
        }
        if let ExpectKind::Sender(t) = &e.kind {
            self.process_target(t, true, "a process name");
        }
    }

    fn statement(&mut self, st: &Stmt, ctx: &mut BodyCtx) {
        match &st.kind {
            StmtKind::Send { to, .. } | StmtKind::Call { to, .. } => {
                if self.process(&to.name.name).is_some() {
                    self.process_target(to, false, "a mailbox or process name");
                } else if self.is_mailbox(&to.name.name) {
                    if to.index.is_some() {
                        self.err(Diagnostic::new(
                            to.span,
                            format!("`{}` is a mailbox: it has no copies", to.name.name),
                            "remove the index",
                        ));
                    }
                } else {
                    let mut d = Diagnostic::new(
                        to.name.span,
                        format!("no mailbox or process named `{}`", to.name.name),
                        "expected a mailbox or process name",
                    );
                    if let Some(n) = self.closest(&to.name.name) {
                        d = d.note(format!("did you mean `{n}`?"));
                    }
                    self.err(d);
                }
            }
            StmtKind::Receive { from, .. } => match from {
                SourceSpec::Mailbox(m) => {
                    if self.mailbox_name(m, "a mailbox this process owns") {
                        self.can_own(ctx.proc, m);
                    }
                }
                SourceSpec::From(t) => {
                    self.process_target(t, false, "a process name");
                }
                SourceSpec::FromSender(_) | SourceSpec::Any => {}
            },
            StmtKind::Reply { .. } => {
                let p = &self.s.processes[ctx.proc];
                if !self.facts[ctx.proc].receives {
                    self.err(
                        Diagnostic::new(
                            st.span,
                            "nobody to reply to",
                            format!("`{}` never receives a message", p.name.name),
                        )
                        .note("`reply` answers the sender of the last message received"),
                    );
                }
            }
            StmtKind::Create { .. } => {}
            StmtKind::ReplyTo { .. }
            | StmtKind::Lookup { .. }
            | StmtKind::Wait { .. }
            | StmtKind::Select { .. }
            | StmtKind::Pass { .. }
            | StmtKind::GrantSend { .. }
            | StmtKind::Grant { .. }
            | StmtKind::Revoke { .. } => {
                self.leaf_statement(st);
            }
            StmtKind::Delete { name } => {
                self.mailbox_name(name, "a mailbox name");
            }
            StmtKind::Transfer { name, to } => {
                self.mailbox_name(name, "a mailbox name");
                self.process_target(to, false, "the new owner's name");
            }
            StmtKind::Spawn { name, .. } => match self.process(&name.name) {
                Some((_, p)) if p.spawned => {}
                Some((_, p)) => self.err(
                    Diagnostic::new(
                        name.span,
                        format!("`{}` starts at boot", name.name),
                        "only a process declared `spawned` can be spawned",
                    )
                    .related(p.name.span, "add `spawned` to its declaration"),
                ),
                None => self.err(Diagnostic::new(
                    name.span,
                    format!("no process named `{}`", name.name),
                    "expected the name of a process declared `spawned`",
                )),
            },
            StmtKind::Repeat { body, .. } | StmtKind::Loop { body } => {
                ctx.loops += 1;
                self.body(body, ctx);
                ctx.loops -= 1;
            }
            StmtKind::If {
                cond,
                then,
                otherwise,
            } => {
                self.expectation(cond, ctx, "test");
                let before = ctx.has_result;
                self.body(then, ctx);
                let after_then = ctx.has_result;
                ctx.has_result = before;
                self.body(otherwise, ctx);
                ctx.has_result |= after_then;
            }
            StmtKind::Break => {
                if ctx.loops == 0 {
                    self.err(Diagnostic::new(
                        st.span,
                        "`break` outside a loop",
                        "there is no `repeat` or `loop` to leave",
                    ));
                }
            }
            StmtKind::Expect(e) => self.expectation(e, ctx, "expect"),
            StmtKind::Let { .. }
            | StmtKind::Assign { .. }
            | StmtKind::Compute(_)
            | StmtKind::Sleep(_)
            | StmtKind::Yield
            | StmtKind::Exit(_)
            | StmtKind::ExitValue(_)
            | StmtKind::Print(_) => {}
        }
    }

    /// The statements that hold no block. Kept out of [`Self::statement`], which recurses
    /// once per nested block: its frame is what the nesting limit multiplies.
    #[inline(never)]
    fn leaf_statement(&mut self, st: &Stmt) {
        match &st.kind {
            StmtKind::ReplyTo { to, .. } => {
                self.process_target(to, false, "the caller's name");
            }
            StmtKind::Lookup { name } => {
                self.mailbox_name(name, "a mailbox name");
            }
            StmtKind::Wait { child, .. } => {
                if let Some(i) = self.process_target(child, false, "a process this one spawns") {
                    let p = &self.s.processes[i];
                    if !p.spawned {
                        self.err(
                            Diagnostic::new(
                                child.name.span,
                                format!("`{}` starts at boot: `init` is its parent", p.name.name),
                                "only a process this one spawns can be waited for",
                            )
                            .related(p.name.span, "declared here"),
                        );
                    }
                }
            }
            StmtKind::Select { set, .. } => {
                if set.len() > abi::MAX_SELECT {
                    self.err(Diagnostic::new(
                        st.span,
                        format!("a select over {} endpoints", set.len()),
                        format!("a select waits on at most {} endpoints", abi::MAX_SELECT),
                    ));
                }
                let mut seen = Vec::new();
                for m in set {
                    let key = m.as_ref().map(|m| m.name.as_str());
                    if seen.contains(&key) {
                        let span = m.as_ref().map_or(st.span, |m| m.span);
                        self.err(Diagnostic::new(
                            span,
                            "an endpoint named twice in one select",
                            "name each endpoint once",
                        ));
                    }
                    seen.push(key);
                    if let Some(m) = m {
                        self.mailbox_name(m, "a mailbox name");
                    }
                }
            }
            StmtKind::Pass { mailbox, to, .. } => {
                self.mailbox_name(mailbox, "the mailbox the right is on");
                if self.process(&to.name.name).is_some() {
                    self.process_target(to, false, "a mailbox or process name");
                } else {
                    self.mailbox_name(&to.name, "a mailbox or process name");
                }
            }
            StmtKind::GrantSend { name, to } => {
                self.mailbox_name(name, "a mailbox name");
                self.process_target(to, false, "a process name");
            }
            StmtKind::Grant { name, to: who } | StmtKind::Revoke { name, from: who } => {
                self.mailbox_name(name, "a mailbox name");
                self.process_target(who, false, "a process name");
            }
            _ => {}
        }
    }

    /// A declaration's target is resolved before anything runs: its index is a number.
    fn static_index(&mut self, t: &Target) {
        if let Some(CopyIndex::Value { expr, .. }) = &t.index {
            self.err(Diagnostic::new(
                expr.span,
                "a declaration names a copy by its number",
                "expected a copy number",
            ));
        }
    }

    /// A fault's target must be a process (one copy), and only one kill per copy makes sense.
    /// An expected kill must be one a `fault kill` line makes.
    fn faults(&mut self) {
        for t in &self.s.expected_kills {
            self.static_index(t);
            if self
                .process_target(t, false, "the process a `fault kill` kills")
                .is_none()
            {
                continue;
            }
            let killed = self.s.faults.iter().any(|f| match &f.kind {
                FaultSpec::Kill { target, .. } => {
                    target.name.name == t.name.name && same_index(&target.index, &t.index)
                }
                _ => false,
            });
            if !killed {
                self.err(
                    Diagnostic::new(
                        t.span,
                        format!(
                            "nothing kills `{}`",
                            &self.s.source[t.span.start..t.span.end]
                        ),
                        "expected a process a `fault kill` line names",
                    )
                    .note("add `fault kill ... at tick N` (or `at syscall N`) for it"),
                );
            }
        }
        for f in &self.s.faults {
            if let FaultSpec::Kill { target, .. } = &f.kind {
                self.static_index(target);
                self.process_target(target, false, "the process to kill");
            }
        }
    }

    /// The process a boot mailbox starts with: its `owner`, or the one process that receives
    /// from it.
    fn boot_owner(&self, m: &MailboxDecl) -> Result<Option<usize>, Diagnostic> {
        if let Some(owner) = &m.owner {
            return Ok(self.process(&owner.name.name).map(|(i, _)| i));
        }
        let receivers = self.receivers.get(m.name.name.as_str());
        match receivers.map_or(0, BTreeSet::len) {
            1 => {
                let i = receivers.and_then(|r| r.first()).copied().unwrap_or(0);
                let p = &self.s.processes[i];
                if p.count > 1 || p.spawned {
                    return Err(Diagnostic::new(
                        m.name.span,
                        format!("mailbox `{}` needs an owner", m.name.name),
                        "say which process owns it with `owner NAME`",
                    )
                    .related(p.name.span, "receives from it, but is not one boot process"));
                }
                Ok(Some(i))
            }
            0 => Err(Diagnostic::new(
                m.name.span,
                format!("mailbox `{}` needs an owner", m.name.name),
                "nobody receives from it: say who owns it with `owner NAME`",
            )),
            _ => Err(Diagnostic::new(
                m.name.span,
                format!("mailbox `{}` needs an owner", m.name.name),
                "several processes receive from it: say which one owns it with `owner NAME`",
            )),
        }
    }

    fn owners(&mut self) {
        for m in &self.s.mailboxes {
            if let Some(owner) = &m.owner {
                self.static_index(owner);
                if let Some(i) = self.process_target(owner, false, "the owning process's name") {
                    if self.s.processes[i].spawned {
                        self.err(
                            Diagnostic::new(
                                owner.span,
                                format!("`{}` does not exist at boot", owner.name.name),
                                "a boot mailbox's owner must start at boot",
                            )
                            .note("create the mailbox in that process instead"),
                        );
                    }
                }
            } else if let Err(d) = self.boot_owner(m) {
                self.err(d);
            }
        }
    }

    /// Report a receive from mailbox `m` by process `proc` that it can never own.
    fn can_own(&mut self, proc: usize, m: &Ident) {
        let s = self.s;
        let p = &s.processes[proc];
        let name = m.name.as_str();
        let boot_owner = self
            .mailbox(name)
            .and_then(|decl| self.boot_owner(decl).ok().flatten());
        // A shared boot mailbox grants every process that receives from it at boot.
        let shared = self.mailbox(name).is_some_and(|d| d.receivers.is_shared());
        if boot_owner == Some(proc)
            || shared
            || self.facts[proc].creates.contains(name)
            || self.transfers.contains(&(name, p.name.name.as_str()))
            || self.grants.contains(&(name, p.name.name.as_str()))
        {
            return;
        }
        let owner_note = match boot_owner {
            Some(o) => format!("`{name}` is owned by `{}`", s.processes[o].name.name),
            None => format!("`{name}` is created by another process"),
        };
        self.err(
            Diagnostic::new(
                m.span,
                format!("`{}` can never receive from `{name}`", p.name.name),
                "only a mailbox's owner receives from it",
            )
            .note(owner_note)
            .note(format!(
                "make `{}` the owner, or `transfer {name} to {}` first",
                p.name.name, p.name.name
            )),
        );
    }
}

/// The process and copy that owns each boot mailbox when processes start, in declaration
/// order, as the checker resolved it. Only meaningful for a scenario that passed [`check`].
pub fn boot_owners(s: &Scenario) -> Vec<Option<(usize, u32)>> {
    let checker = Checker::new(s);
    s.mailboxes
        .iter()
        .map(|m| {
            let proc = checker.boot_owner(m).ok().flatten()?;
            let copy = match m.owner.as_ref().and_then(|o| o.index.as_ref()) {
                Some(&CopyIndex::Fixed(n)) => n,
                _ => 0,
            };
            Some((proc, copy))
        })
        .collect()
}

/// Whether two declarations' indexes name the same copy (no index is copy 0).
fn same_index(a: &Option<CopyIndex>, b: &Option<CopyIndex>) -> bool {
    let copy = |i: &Option<CopyIndex>| match i {
        None => Some(0),
        Some(CopyIndex::Fixed(n)) => Some(*n),
        Some(CopyIndex::Value { .. }) => None,
    };
    copy(a).is_some() && copy(a) == copy(b)
}

/// The values a statement computes (not those of the blocks it holds), in order.
fn statement_values(st: &Stmt) -> Vec<&Expr> {
    fn target(t: &Target) -> Option<&Expr> {
        match &t.index {
            Some(CopyIndex::Value { expr, .. }) => Some(expr),
            _ => None,
        }
    }
    fn mode(m: &ModeSpec) -> Option<&Expr> {
        match m {
            ModeSpec::Timeout(e) => Some(e),
            _ => None,
        }
    }
    fn test(e: &Expect) -> Option<&Expr> {
        match &e.kind {
            ExpectKind::Value(v) => Some(v),
            ExpectKind::Sender(t) => target(t),
            _ => None,
        }
    }
    match &st.kind {
        StmtKind::Send { to, mode: m, .. } | StmtKind::Call { to, mode: m, .. } => {
            target(to).into_iter().chain(mode(m)).collect()
        }
        StmtKind::Receive { from, mode: m, .. } => {
            let from = match from {
                SourceSpec::From(t) => target(t),
                _ => None,
            };
            from.into_iter().chain(mode(m)).collect()
        }
        StmtKind::Compute(e) | StmtKind::Sleep(e) | StmtKind::Repeat { times: e, .. } => {
            vec![e]
        }
        StmtKind::Assign { value, .. } | StmtKind::ExitValue(value) => vec![value],
        StmtKind::Create {
            capacity: CapacitySpec::Count(e),
            ..
        } => vec![e],
        StmtKind::Transfer { to, .. } | StmtKind::ReplyTo { to, .. } => {
            target(to).into_iter().collect()
        }
        StmtKind::Wait { child, mode: m } => target(child).into_iter().chain(mode(m)).collect(),
        StmtKind::Spawn { arg, .. } => arg.iter().collect(),
        StmtKind::If { cond, .. } | StmtKind::Expect(cond) => test(cond).into_iter().collect(),
        _ => Vec::new(),
    }
}
