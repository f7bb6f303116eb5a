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
	k1, _ := seal.GenerateKey("2026-01")
	env, _ := seal.NewLocal(k1)

	sealed, _ := env.Seal(ctx, []byte(`{"lease":"l-1"}`), []byte("l-1"))
	id, _ := seal.KeyIDOf(sealed)
	fmt.Println("sealed under", id)

	k2, _ := seal.GenerateKey("2026-02")
	rotated, _ := seal.NewLocal(k2, k1) // k2 seals; k1 still opens
	pt, _ := rotated.Open(ctx, sealed, []byte("l-1"))
	fmt.Println("opened:", string(pt))

	_, err := rotated.Open(ctx, sealed, []byte("l-2"))
	fmt.Println("moved to another lease refused:", errors.Is(err, seal.ErrTampered))

	retired, _ := seal.NewLocal(k2)
	_, err = retired.Open(ctx, sealed, []byte("l-1"))
	fmt.Println("key retired:", errors.Is(err, seal.ErrUnknownKey))
	// Output:
	// sealed under 2026-01
	// opened: {"lease":"l-1"}
	// moved to another lease refused: true
	// key retired: true
}
