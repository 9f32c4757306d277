//! Firewall filters
