// Package docs holds parkd's documents: the wire contract (protocol.md),
// the off-peak interfaces (offpeak.md), the console API, the performance
// record and the vendors' guides (vendors/). It has no code; its tests
// check the documents against the code: the known answers of protocol.md
// §10, its code table and dictionaries, and that nothing in the repository
// cites a file outside it.
package docs
