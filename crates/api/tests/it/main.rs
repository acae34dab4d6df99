//! Integration tests of flowform-api over loopback HTTP.
