// Package avl is a fixture stand-in for one of the server's data structures.
package avl

// Kind names the structure.
const Kind = "avl"
