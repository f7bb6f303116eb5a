package inventory_test

import (
	"testing"

	"github.com/ztci/ztci/attest/inventory"
	"github.com/ztci/ztci/attest/inventory/inventorytest"
)

func TestMemoryContract(t *testing.T) {
	t.Parallel()
	inventorytest.Run(t, func(*testing.T) inventory.Store { return inventory.NewMemory() })
}
