package team

import (
	"testing"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// benchEnv is Carol's side of a team with Alice, and a revision file of
// Alice's addressed to Carol and to one that is not.
func benchEnv(b *testing.B) (env Env, forMe, notForMe File) {
	now := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	alice, carol, bob := newPerson(b, "alice"), newPerson(b, "carol"), newPerson(b, "bob")
	rec := share.Record{UID: testUID, Revision: 1, Owner: "alice", OwnerKey: alice.key(),
		Access: []share.Access{{Name: "carol", Recipient: carol.key(), Permission: secret.PermView, GrantedAt: now}},
		Portable: secret.Portable{Name: "payments", URL: "https://pay.example", ClientID: "pay",
			ClientSecret: secret.Clear{Value: secret.NewValue("sk_live")}, CreatedAt: now, UpdatedAt: now}}
	p, data := alice.bundle(b, rec, now, carol)
	forMe = File{Path: p, Data: data}
	p, data = alice.bundle(b, rec, now, bob)
	notForMe = File{Path: p, Data: data}
	env = Env{Identities: []age.Identity{carol.id}, Self: []string{carol.key()}, Contacts: []share.Contact{alice.contact},
		Team: &State{Members: []Member{{Name: "alice"}}}, Now: now}
	return env, forMe, notForMe
}

// BenchmarkDecideFile is what sync spends on each new revision file
// addressed to the user: check the name, decrypt, verify both signatures,
// plan the import.
func BenchmarkDecideFile(b *testing.B) {
	env, f, _ := benchEnv(b)
	b.SetBytes(int64(len(f.Data)))
	for b.Loop() {
		if out := Decide(f.Path, f.Data, env); out.Verdict != Import {
			b.Fatal(out.Verdict, out.Err)
		}
	}
}

// BenchmarkDecideNotForMe is what sync spends on a new file addressed to
// others: the hash of its name and age's header.
func BenchmarkDecideNotForMe(b *testing.B) {
	env, _, f := benchEnv(b)
	for b.Loop() {
		if out := Decide(f.Path, f.Data, env); out.Verdict != NotForMe {
			b.Fatal(out.Verdict, out.Err)
		}
	}
}
