package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pulse-bot/pulse/bot"
	"github.com/pulse-bot/pulse/store/storetest"
)

// A sign-in racing a sign-out must not leave a session that no later
// sign-out can end: after the race, one more sign-out ends every session.
func TestSignOutRacingASignInLeavesNoUnendableSession(t *testing.T) {
	ws := storetest.MustOpen(t).WebSessions()
	ctx := context.Background()
	person := bot.UserID("slack:T1:UA")
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	var hashes []string
	for i := range 100 {
		hash := fmt.Sprintf("%064x", i)
		hashes = append(hashes, hash)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			if err := ws.SaveSession(ctx, hash, person, now, time.Hour); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer wg.Done()
			if _, err := ws.EndSessions(ctx, person); err != nil {
				t.Error(err)
			}
		}()
		wg.Wait()
	}
	if _, err := ws.EndSessions(ctx, person); err != nil {
		t.Fatal(err)
	}
	for _, hash := range hashes {
		if _, _, err := ws.Session(ctx, hash); !errors.Is(err, bot.ErrNotFound) {
			t.Fatalf("session %s outlived the last sign-out (err %v)", hash[60:], err)
		}
	}
}
