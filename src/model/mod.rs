//! Pure model.
