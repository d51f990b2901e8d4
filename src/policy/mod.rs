//! Policy: the invariant model, loading and validating rule files (ast-grep's format plus
//! aigate's kinds), and the layering of org and repository policy.
