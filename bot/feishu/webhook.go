package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
)

// maxSkew is how far a push's X-Lark-Request-Timestamp may be from our clock.
const maxSkew = 5 * time.Minute

// maxBody bounds a push; Feishu's largest events are a few kilobytes.
const maxBody = 1 << 20

// envelope is the part of a push that says what it is and who sent it: a
// url_verification, an event or callback in schema 2.0 (with a header), an
// event in the old v1 schema ("type":"event_callback", a uuid and the type
// inside event), or an old-format card callback (no header, no event: the
// operator's ids, the message and the action at the top level).
type envelope struct {
	Encrypt   string `json:"encrypt"`
	Type      string `json:"type"`
	Challenge string `json:"challenge"`
	Token     string `json:"token"`
	Schema    string `json:"schema"`
	Header    *struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Token     string `json:"token"`
		TenantKey string `json:"tenant_key"`
	} `json:"header"`
	// UUID and Event.Type are the v1 schema's event id and type.
	UUID  string `json:"uuid"`
	Event *struct {
		Type string `json:"type"`
	} `json:"event"`
	// OpenMessageID and Action are set on an old-format card callback.
	OpenMessageID string          `json:"open_message_id"`
	Action        json.RawMessage `json:"action"`
}

// oldCardType names old-format card callbacks in the logs; they carry no
// type of their own.
const oldCardType = "card.action (old format)"

// eventType is the push's type for the logs, whatever its schema.
func (e envelope) eventType() string {
	switch {
	case e.Header != nil:
		return e.Header.EventType
	case e.Event != nil:
		return e.Event.Type
	case e.oldCard():
		return oldCardType
	}
	return e.Type
}

// eventID is the push's id for the logs: the header's event_id, or a v1 uuid.
func (e envelope) eventID() string {
	if e.Header != nil {
		return e.Header.EventID
	}
	return e.UUID
}

// v1 reports an event in the old v1 schema.
func (e envelope) v1() bool { return e.Header == nil && e.Type == "event_callback" }

// oldCard reports a card callback in the old format (the "message card
// request URL" before card.action.trigger).
func (e envelope) oldCard() bool { return e.Header == nil && e.Event == nil && len(e.Action) > 0 }

func (e envelope) token() string {
	if e.Header != nil {
		return e.Header.Token
	}
	return e.Token
}

// webhook serves Feishu's HTTP pushes. The SDK's own HTTP handler checks the
// verification token only on the challenge and never looks at the request
// time, so this one does the checks itself and then hands the decrypted
// payload to the same dispatcher the long connection uses.
func (a *Adapter) webhook() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		plain, encrypted, err := a.open(body)
		if err != nil {
			a.log.Warn().Err(err).Msg("feishu push rejected")
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		var env envelope
		if err := json.Unmarshal(plain, &env); err != nil {
			a.log.Warn().Err(err).Bool("encrypted", encrypted).Str("event_type", typeOf(plain)).Msg("feishu push rejected: not the JSON Feishu sends")
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		if !a.tokenOK(env.token()) {
			a.log.Warn().Str("event_type", env.eventType()).Msg("feishu push rejected: wrong verification token")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if env.Type == "url_verification" {
			// Answered at once: Feishu wants the challenge back within 1 s.
			// A plain challenge is answered too (it changes nothing), so the
			// URL can be saved before the Encrypt Key is.
			writeJSON(w, map[string]string{"challenge": env.Challenge})
			return
		}
		if env.oldCard() {
			a.oldCardCallback(w, r.Header, body, env)
			return
		}
		if !encrypted {
			a.log.Warn().Str("event_type", env.eventType()).Msg("feishu push rejected: not encrypted although an Encrypt Key is set")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if err := a.verifyRequest(r.Header, body); err != nil {
			a.log.Warn().Err(err).Str("event_type", env.eventType()).Msg("feishu push rejected")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if env.v1() {
			// Answered 200, so Feishu does not push it again; the app's event
			// format is a console setting, which the log line names.
			a.log.Warn().Str("event_type", env.eventType()).Str("event_id", env.eventID()).
				Msg("feishu push in the old v1 event format is not supported; ignored (set the app's events to the 2.0 format in the developer console)")
			writeJSON(w, map[string]string{"msg": "ignored"})
			return
		}
		resp, err := a.dispatcher.Do(r.Context(), plain)
		var unknown *dispatcher.NotFoundEventHandlerErr
		if errors.As(err, &unknown) {
			// An event type nobody subscribed Pulse to: acknowledged, so it is not pushed again.
			a.log.Warn().Str("event_type", env.eventType()).Str("event_id", env.eventID()).Msg("feishu push of an unhandled event type")
			writeJSON(w, map[string]string{"msg": "ignored"})
			return
		}
		if err != nil {
			// Only failures before the ack land here (a bad payload, Redis
			// down while deduplicating): Feishu may push again.
			a.log.Error().Err(err).Str("event_type", env.eventType()).Str("event_id", env.eventID()).Msg("feishu push not handled")
			http.Error(w, "not handled", http.StatusInternalServerError)
			return
		}
		if resp == nil {
			writeJSON(w, map[string]string{"msg": "success"})
			return
		}
		writeJSON(w, resp)
	})
}

// typeOf reads only a push's header.event_type, for the log line of a
// push whose other fields do not fit the envelope ("" when even that fails).
func typeOf(plain []byte) string {
	var h struct {
		Header struct {
			EventType string `json:"event_type"`
		} `json:"header"`
	}
	_ = json.Unmarshal(plain, &h)
	return h.Header.EventType
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil || bytes.Equal(b, []byte("null")) {
		b = []byte("{}")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}

func (a *Adapter) tokenOK(token string) bool {
	return subtle.ConstantTimeCompare([]byte(token), []byte(a.cfg.VerificationToken)) == 1
}

// open decrypts an {"encrypt": …} body and reports whether it was
// encrypted; a plain body comes back as it is, for the caller to refuse
// unless it is a challenge.
func (a *Adapter) open(body []byte) ([]byte, bool, error) {
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("parse push: %w", err)
	}
	if env.Encrypt == "" {
		return body, false, nil
	}
	plain, err := decrypt(a.cfg.EncryptKey, env.Encrypt)
	if err != nil {
		return nil, false, fmt.Errorf("decrypt push: %w", err)
	}
	return plain, true, nil
}

// oldCardCallback answers a card callback in the old format: Pulse's
// cards call back as card.action.trigger, so a press arriving this way
// means the app still has an old "message card request URL" set. It is
// checked like the old format is signed (sha1 with the verification token,
// plain or encrypted), answered 200 with an empty object (the card stays
// as it was) and logged with what to change.
func (a *Adapter) oldCardCallback(w http.ResponseWriter, h http.Header, body []byte, env envelope) {
	if err := a.checkSignature(h, oldCardSignature(h, body, a.cfg.VerificationToken)); err != nil {
		a.log.Warn().Err(err).Str("event_type", oldCardType).Msg("feishu push rejected")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	a.log.Warn().Str("event_type", oldCardType).Str("open_message_id", env.OpenMessageID).
		Msg("feishu card callback in the old format is not supported; ignored (subscribe to card.action.trigger, the 2.0 card callback, in the developer console)")
	writeJSON(w, map[string]string{})
}

// verifyRequest checks X-Lark-Signature, sha256(timestamp + nonce + encrypt
// key + body) in hex, and that the timestamp is within five minutes of now,
// so a captured push cannot be replayed later.
func (a *Adapter) verifyRequest(h http.Header, body []byte) error {
	ts, nonce := h.Get("X-Lark-Request-Timestamp"), h.Get("X-Lark-Request-Nonce")
	mac := sha256.New()
	mac.Write([]byte(ts + nonce + a.cfg.EncryptKey))
	mac.Write(body)
	return a.checkSignature(h, hex.EncodeToString(mac.Sum(nil)))
}

// oldCardSignature is the old card callback's X-Lark-Signature:
// sha1(timestamp + nonce + verification token + body) in hex.
func oldCardSignature(h http.Header, body []byte, token string) string {
	mac := sha1.New()
	mac.Write([]byte(h.Get("X-Lark-Request-Timestamp") + h.Get("X-Lark-Request-Nonce") + token))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// checkSignature compares X-Lark-Signature with want and checks that
// X-Lark-Request-Timestamp is within maxSkew of now.
func (a *Adapter) checkSignature(h http.Header, want string) error {
	ts, sig := h.Get("X-Lark-Request-Timestamp"), h.Get("X-Lark-Signature")
	if ts == "" || sig == "" {
		return errors.New("unsigned push")
	}
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return errors.New("signature does not match")
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("bad timestamp %q", ts)
	}
	skew := a.cfg.Clock.Now().Sub(time.Unix(secs, 0))
	if skew > maxSkew || skew < -maxSkew {
		return fmt.Errorf("timestamp %s off by %s", ts, skew.Round(time.Second))
	}
	return nil
}

// decrypt opens Feishu's AES-256-CBC envelope: base64(iv ‖ ciphertext), key
// sha256(encrypt key), PKCS#7 padding. The SDK's EventDecrypt skips the
// padding check and cuts at braces; this one refuses anything malformed.
func decrypt(key, encoded string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encoded)
	if err != nil {
		return nil, fmt.Errorf("base64: %w", err)
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext has a bad length")
	}
	k := sha256.Sum256([]byte(key))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("cipher: %w", err)
	}
	out := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, raw[:aes.BlockSize]).CryptBlocks(out, raw[aes.BlockSize:])
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || pad > len(out) {
		return nil, errors.New("bad padding")
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad padding")
		}
	}
	return out[:len(out)-pad], nil
}
