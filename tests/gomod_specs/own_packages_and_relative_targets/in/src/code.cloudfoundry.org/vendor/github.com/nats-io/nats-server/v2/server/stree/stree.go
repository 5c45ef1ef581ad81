// Package stree is a fixture stand-in for one of the server's data structures.
package stree

// Kind names the structure.
const Kind = "stree"
