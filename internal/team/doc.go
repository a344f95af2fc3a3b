// Package team decides how a vault keeps API secrets in sync with a team
// through a git repository it does not trust.
//
// The repository holds two kinds of files:
//
//	members/NAME.card                     a member's contact card (or plain age key)
//	records/UID/REVISION-SHA256.bundle    one revision of one record: a share bundle
//
// A record file is a share bundle (format 2) holding exactly one record,
// owner-signed, encrypted to the record's current holders; an editor's
// change travels the same way, addressed to the owner only. Its name is
// fixed by its content (the record's id, its revision and the SHA-256 of
// the file), so two people never write the same name, git merges never
// conflict, and a file copied under another name is noticed.
//
// Nothing in the repository is trusted for being there: members' cards are
// pinned in each vault (a card changed in the repository is reported, never
// used), every revision must carry its owner's signature checked against
// the pinned card, and the vault remembers what it accepted (the highest
// revision of every record, the files it processed, the commit it last
// saw), so the repository can delay or withhold files but cannot forge,
// replay or roll back what a vault accepts; a remote rewound to an older
// commit is reported.
//
// The package is pure logic over explicit inputs: it runs no git, reads no
// vault and no file. docs/teams.md explains teams to users.
package team
