package verify

import (
	"errors"
	"fmt"

	"github.com/ztci/ztci/internal/strictjson"
)

// checkMembers refuses a bundle or statement that a case-insensitive reader
// could take differently from protojson (see internal/strictjson), wrapping
// the refusal in [ErrAmbiguousJSON]. It does not validate b (json.Valid
// would double the cost on a bundle): every caller parses b strictly
// afterwards, and a document that parses is valid JSON.
func checkMembers(b []byte, registered ...string) error {
	err := strictjson.CheckUnvalidated(b, registered...)
	if errors.Is(err, strictjson.ErrAmbiguous) {
		return fmt.Errorf("%w: %w", ErrAmbiguousJSON, err)
	}
	return err
}
