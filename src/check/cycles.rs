//! Cycles the checker rejects: derived scores that depend on each other, and triggers with
//! `set` steps that could re-trigger each other forever.
