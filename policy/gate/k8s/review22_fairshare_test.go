package k8s_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"

	"github.com/ztci/ztci/policy/gate"
	"github.com/ztci/ztci/policy/gate/k8s"
)

// podReview is a CREATE of a Pod in ns naming images.
func podReview(uid, ns string, images ...string) *admissionv1.AdmissionRequest {
	var cs []string
	for i, img := range images {
		cs = append(cs, fmt.Sprintf(`{"name":"c%d","image":%q}`, i, img))
	}
	obj := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"` + ns + `"},"spec":{"containers":[` + strings.Join(cs, ",") + `]}}`
	return &admissionv1.AdmissionRequest{UID: types.UID("u-" + uid), Kind: k8s.KindPod, Operation: admissionv1.Create,
		Name: "p", Namespace: ns, Object: runtime.RawExtension{Raw: []byte(obj)}}
}

// TestReview22NamespaceCannotHoldEveryDecisionSlot: whoever may create Pods
// in one namespace (a CI job's deploy credentials) names many images whose
// decisions are slow (a repository the gate reads slowly, attestations
// that take the whole budget). Every decision slot was the first to come,
// so that namespace's reviews held them all until their deadline and every
// other namespace's deploys were denied as timed out. A namespace now gets
// at most its share of the slots, and another namespace's review is
// decided at once.
func TestReview22NamespaceCannotHoldEveryDecisionSlot(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var slow, peak atomic.Int32
		d := k8s.DeciderFunc(func(ctx context.Context, req gate.Request) (gate.Decision, error) {
			if strings.HasPrefix(req.Image, "slow.example/") {
				n := slow.Add(1)
				defer slow.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				<-ctx.Done()
				return gate.Decision{Outcome: gate.OutcomeError}, fmt.Errorf("%w: %w", gate.ErrUndecided, ctx.Err())
			}
			return gate.Decision{Allowed: true, Outcome: gate.OutcomeAllow, Digest: fakeDigest(req.Image)}, nil
		})
		w := newWebhook(t, d, &memSink{}, k8s.WithParallelism(4), k8s.WithTimeout(5*time.Second))

		var slowImages []string
		for i := range 16 {
			slowImages = append(slowImages, fmt.Sprintf("slow.example/img%d:1", i))
		}
		// Two reviews of the abusive namespace at once, as a ReplicaSet
		// controller creating its Pods would send.
		for i := range 2 {
			go w.Review(context.Background(), podReview(fmt.Sprint("ci", i), "ci", slowImages...))
		}
		synctest.Wait()

		start := time.Now()
		resp := w.Review(t.Context(), podReview("prod", "prod", "r.example/app:1"))
		if !resp.Allowed || time.Since(start) != 0 {
			t.Fatalf("another namespace's review: allowed %v after %v (%+v), want allowed at once", resp.Allowed, time.Since(start), resp.Result)
		}
		if p := peak.Load(); p != 2 {
			t.Errorf("the abusive namespace had %d decisions running at once, want its share, 2 of 4", p)
		}
		time.Sleep(10 * time.Second) // let the abusive reviews end
	})
}

// The share is a positive number.
func TestReview22ParallelismPerNamespaceOption(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, -1} {
		if _, err := k8s.New(&fakeGate{}, tokens, &memSink{}, k8s.WithParallelismPerNamespace(n)); !errors.Is(err, k8s.ErrConfig) {
			t.Errorf("WithParallelismPerNamespace(%d): %v, want ErrConfig", n, err)
		}
	}
}
