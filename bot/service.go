package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/rs/zerolog"
)

// Config is what a Service needs from the outside.
type Config struct {
	Store     Store
	Messenger Messenger
	Clock     Clock
	Log       zerolog.Logger
	// Admins have admin rights everywhere (PULSE_ADMINS).
	Admins []UserID
}

// Service applies SPEC.md's rules to events. It is the one place where
// permissions are checked and records are changed; adapters only translate.
type Service struct {
	store     Store
	messenger Messenger
	clock     Clock
	log       zerolog.Logger
	admins    map[UserID]bool
	catalog   *Catalog
}

// NewService checks cfg and returns a ready Service.
func NewService(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("new service: a store is required")
	}
	if cfg.Messenger == nil {
		cfg.Messenger = Router{}
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	catalog, err := LoadCatalog()
	if err != nil {
		return nil, fmt.Errorf("new service: %w", err)
	}
	admins := make(map[UserID]bool, len(cfg.Admins))
	for _, a := range cfg.Admins {
		admins[a] = true
	}
	return &Service{
		store:     cfg.Store,
		messenger: cfg.Messenger,
		clock:     cfg.Clock,
		log:       cfg.Log,
		admins:    admins,
		catalog:   catalog,
	}, nil
}

// Handle answers one event. The error is for logging: the Response already
// holds a reply in the user's language that says what to do.
func (s *Service) Handle(ctx context.Context, ev Event) (Response, error) {
	return Response{}, errors.New("handle: not built yet")
}
