package seal_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/ztci/ztci/secrets/seal"
)

// Seal a record bound to its lease id, rotate the key, and still open it.
func Example() {
	ctx := context.Background()
	k1, err := seal.GenerateKey("2026-01")
	if err != nil {
		panic(err)
	}
	env, err := seal.NewLocal(k1)
	if err != nil {
		panic(err)
	}

	// A record that could not be sealed is not written, in any form.
	sealed, err := env.Seal(ctx, []byte(`{"lease":"l-1"}`), []byte("l-1"))
	if err != nil {
		panic(err)
	}
	id, err := seal.KeyIDOf(sealed)
	if err != nil {
		panic(err)
	}
	fmt.Println("sealed under", id)

	k2, err := seal.GenerateKey("2026-02")
	if err != nil {
		panic(err)
	}
	rotated, err := seal.NewLocal(k2, k1) // k2 seals; k1 still opens
	if err != nil {
		panic(err)
	}
	pt, err := rotated.Open(ctx, sealed, []byte("l-1"))
	if err != nil {
		panic(err) // tampered, moved or under an unknown key: refuse the record
	}
	fmt.Println("opened:", string(pt))

	_, err = rotated.Open(ctx, sealed, []byte("l-2"))
	fmt.Println("moved to another lease refused:", errors.Is(err, seal.ErrTampered))

	retired, err := seal.NewLocal(k2)
	if err != nil {
		panic(err)
	}
	_, err = retired.Open(ctx, sealed, []byte("l-1"))
	fmt.Println("key retired:", errors.Is(err, seal.ErrUnknownKey))
	// Output:
	// sealed under 2026-01
	// opened: {"lease":"l-1"}
	// moved to another lease refused: true
	// key retired: true
}
