package share_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"time"

	"filippo.io/age"

	"github.com/mysafe/mysafe/internal/secret"
	"github.com/mysafe/mysafe/internal/share"
)

// Alice shares an API secret with Bob, who opens the bundle and decides
// what importing it does to his vault.
func Example() {
	// Alice's and Bob's keys, as their vaults hold them.
	aliceSharing, _ := age.GenerateX25519Identity()
	alicePQ, _ := age.GenerateHybridIdentity()
	_, aliceSigning, _ := ed25519.GenerateKey(rand.Reader)
	bobSharing, _ := age.GenerateX25519Identity()
	now := time.Now()

	// Alice's card, as `mysafe key` prints it; Bob adds it as a contact.
	line, err := share.MakeCard(aliceSharing.Recipient().String(), alicePQ.Recipient().String(), aliceSigning)
	if err != nil {
		panic(err)
	}
	card, err := share.ParseCard(line)
	if err != nil {
		panic(err)
	}
	contacts, _ := share.AddContact(nil, share.ContactFromCard("alice", card, now))

	// Alice's side: `mysafe share payments --to bob`. The access list she
	// signs gives Bob view permission.
	alice := share.Party{Name: "alice", Recipient: aliceSharing.Recipient().String()}
	rec := &secret.Record{
		UID: secret.NewUID(), Name: "payments", URL: "https://api.example.com",
		ClientID: "app-1", ClientSecret: secret.NewValue("s3cr3t"), Revision: 1,
		Access: []secret.Access{{Name: "bob", Recipient: bobSharing.Recipient().String(), Permission: secret.PermView, GrantedAt: now}},
	}
	bob, err := share.ParseRecipient(bobSharing.Recipient().String()) // from Alice's contact entry
	if err != nil {
		panic(err)
	}
	bob.Name = "bob"
	p := share.NewPayload(now, share.Sender{Name: alice.Name, Recipient: alice.Recipient},
		[]share.Record{share.RecordFromSecret(rec, alice)})
	data, err := share.Build(p, aliceSigning, []share.Recipient{bob}, true)
	if err != nil {
		panic(err)
	}

	// Bob's side: `mysafe import bundle.age`.
	o, err := share.Open(data, []age.Identity{bobSharing}, now, share.OpenOptions{})
	if err != nil {
		panic(err) // map with errors.Is to an exit code
	}
	sender, err := share.IdentifySender(o, contacts, "")
	if err != nil {
		panic(err)
	}
	plan := share.PlanImport(o, sender, share.VaultState{
		Self:     []string{bobSharing.Recipient().String()},
		Contacts: contacts,
	}, share.ResolveNone)
	fmt.Println("from", plan.From)
	for _, s := range plan.Steps {
		fmt.Println(s.Name+":", s.Action, "-", s.Reason)
	}
	// Output:
	// from contact alice (signature verified)
	// payments: add - new record shared with view permission
}
