// Package miner builds block templates from the chain tip and a transaction
// source, searches for proof of work on several goroutines, and submits
// solved blocks through chain.ProcessBlock, the same door peers' blocks use.
package miner
