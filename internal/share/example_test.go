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
	aliceSigningPub, aliceSigning, _ := ed25519.GenerateKey(rand.Reader)
	bobSharing, _ := age.GenerateX25519Identity()
	now := time.Now()

	// Alice's side: `mysafe share payments --to bob`.
	alice := share.Party{Name: "alice", Recipient: aliceSharing.Recipient().String()}
	rec := &secret.Record{
		UID: secret.NewUID(), Name: "payments", URL: "https://api.example.com",
		ClientID: "app-1", ClientSecret: secret.NewValue("s3cr3t"), Revision: 1,
	}
	bob, err := share.ParseRecipient(bobSharing.Recipient().String()) // from Bob's contact entry
	if err != nil {
		panic(err)
	}
	bob.Name = "bob"
	p := share.NewPayload(now, share.Sender{Name: alice.Name, Recipient: alice.Recipient},
		secret.PermView, []share.Record{share.RecordFromSecret(rec, alice)})
	data, err := share.Build(p, aliceSigning, []share.Recipient{bob}, true)
	if err != nil {
		panic(err)
	}

	// Bob's side: `mysafe import bundle.age`.
	o, err := share.Open(data, []age.Identity{bobSharing}, now, share.OpenOptions{})
	if err != nil {
		panic(err) // map with errors.Is to an exit code
	}
	// Bob's contact "alice" holds her sharing and signing keys.
	var sender []string // stays empty for an unknown signer
	if o.SentBy(alice.Recipient, share.FormatSigningKey(aliceSigningPub)) {
		sender = o.SenderKeys()
	}
	fmt.Println("from", o.Payload.Sender.Name, "verified:", sender != nil)
	for _, in := range o.Payload.Records {
		d := share.Decide(nil, share.Incoming{ // nil: Bob has no record with this UID
			Record:     in,
			Permission: o.Payload.Permission,
			SenderKeys: sender,
			Self:       []string{bobSharing.Recipient().String()},
		})
		fmt.Println(in.Name+":", d.Action, "-", d.Reason)
	}
	// Output:
	// from alice verified: true
	// payments: add - new record shared with view permission
}
