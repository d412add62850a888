package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/pulse-bot/pulse/bot"
)

// tokenBytes is the size of link and session tokens: 256 random bits.
const tokenBytes = 32

// newToken returns a random token, URL- and cookie-safe.
func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// hashToken is what the store keeps instead of a token.
func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// wellFormed rejects anything that is not a token we could have made, before any store read.
func wellFormed(token string) bool {
	b, err := base64.RawURLEncoding.DecodeString(token)
	return err == nil && len(b) == tokenBytes
}

// NewLink stores a one-time sign-in token for person and returns the link
// that redeems it. It implements bot.WebSignIn.
func (s *Server) NewLink(ctx context.Context, person bot.UserID) (string, time.Duration, error) {
	token, err := newToken()
	if err != nil {
		return "", 0, err
	}
	if err := s.sessions.SaveLink(ctx, hashToken(token), person, s.clock.Now(), LinkValidity); err != nil {
		return "", 0, err
	}
	return s.base.String() + "/app/signin?t=" + token, LinkValidity, nil
}

// SignOut ends every web session of person. It implements bot.WebSignIn.
func (s *Server) SignOut(ctx context.Context, person bot.UserID) (int, error) {
	return s.sessions.EndSessions(ctx, person)
}

// cookieName is the session cookie's name; behind TLS it carries the
// __Host- prefix, which browsers only accept Secure, host-only and on "/".
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-pulse_session"
	}
	return "pulse_session"
}

// signInPage answers the link from chat with a button, not a sign-in: link
// previews and mail scanners fetch links, and must not use up the token.
func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) {
	l := requestLocale(r)
	token := r.URL.Query().Get("t")
	if !wellFormed(token) {
		s.renderStatus(w, l, http.StatusBadRequest, "web_link_invalid")
		return
	}
	s.render(w, "signin", http.StatusOK, pageData{Locale: l, Title: s.tr(l, "web_signin_title", nil), Token: token})
}

// redeem takes the token from the sign-in form, and on success starts a
// session and sends the browser to the person's page.
func (s *Server) redeem(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l := requestLocale(r)
	if !s.sameOrigin(r) {
		s.renderStatus(w, l, http.StatusForbidden, "web_cross_site")
		return
	}
	ok, err := s.sessions.Allow(ctx, "redeem:"+clientAddress(r), RedeemLimit, RedeemWindow)
	if err != nil {
		s.fail(w, l, err)
		return
	}
	if !ok {
		w.Header().Set("Retry-After", fmt.Sprint(int(RedeemWindow.Seconds())))
		s.renderStatus(w, l, http.StatusTooManyRequests, "web_too_many")
		return
	}
	token := r.PostFormValue("t")
	if !wellFormed(token) {
		s.renderStatus(w, l, http.StatusBadRequest, "web_link_invalid")
		return
	}
	person, issued, err := s.sessions.TakeLink(ctx, hashToken(token))
	if errors.Is(err, bot.ErrNotFound) {
		s.renderStatus(w, l, http.StatusUnauthorized, "web_link_used")
		return
	}
	if err != nil {
		s.fail(w, l, err)
		return
	}
	now := s.clock.Now()
	if now.Sub(issued) > LinkValidity {
		s.renderStatus(w, l, http.StatusUnauthorized, "web_link_expired")
		return
	}
	session, err := newToken()
	if err != nil {
		s.fail(w, l, err)
		return
	}
	if err := s.sessions.SaveSession(ctx, hashToken(session), person, now, SessionValidity); err != nil {
		s.fail(w, l, err)
		return
	}
	if err := s.svc.AuditWebSignIn(ctx, person, "from "+clientAddress(r)); err != nil {
		s.log.Warn().Err(err).Msg("audit web sign-in")
	}
	s.log.Info().Str("user", string(person)).Msg("web sign-in")
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: session, Path: "/", MaxAge: int(SessionValidity.Seconds()),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/app/", http.StatusSeeOther)
}

// viewer is the signed-in person of a request.
type viewer struct {
	id      bot.UserID
	session string
}

// signedIn runs next for a request with a live session, and otherwise
// answers 401 with a page saying how to sign in.
func (s *Server) signedIn(next func(http.ResponseWriter, *http.Request, viewer)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := r.Cookie(s.cookieName())
		if err != nil || !wellFormed(c.Value) {
			s.renderStatus(w, requestLocale(r), http.StatusUnauthorized, "web_signin_needed")
			return
		}
		person, issued, err := s.sessions.Session(r.Context(), hashToken(c.Value))
		if errors.Is(err, bot.ErrNotFound) || (err == nil && s.clock.Now().Sub(issued) > SessionValidity) {
			s.renderStatus(w, requestLocale(r), http.StatusUnauthorized, "web_signin_needed")
			return
		}
		if err != nil {
			s.fail(w, requestLocale(r), err)
			return
		}
		next(w, r, viewer{id: person, session: c.Value})
	})
}

// csrfToken ties a form to the session: an HMAC-like hash of the session
// token that another site cannot compute or read.
func csrfToken(session string) string { return hashToken("csrf\x00" + session)[:32] }

// signOut ends the person's sessions (the form carries the CSRF token).
func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v viewer) {
	l := requestLocale(r)
	got := r.PostFormValue("csrf")
	if !s.sameOrigin(r) || subtle.ConstantTimeCompare([]byte(got), []byte(csrfToken(v.session))) != 1 {
		s.renderStatus(w, l, http.StatusForbidden, "web_cross_site")
		return
	}
	if _, err := s.sessions.EndSessions(r.Context(), v.id); err != nil {
		s.fail(w, l, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	s.renderStatus(w, l, http.StatusOK, "web_signed_out_page")
}

// sameOrigin accepts a form post only from Pulse's own pages: the
// browser's Origin (or, without one, Sec-Fetch-Site) must say so.
func (s *Server) sameOrigin(r *http.Request) bool {
	if origin := r.Header.Get("Origin"); origin != "" {
		u, err := url.Parse(origin)
		return err == nil && (u.Host == r.Host || u.Host == s.base.Host)
	}
	site := r.Header.Get("Sec-Fetch-Site")
	return site == "" || site == "same-origin" || site == "none"
}

// clientAddress is the connecting address, the unit of the redemption limit.
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// requestLocale is the language for pages shown before Pulse knows who is
// asking: Chinese when the browser prefers it, else English.
func requestLocale(r *http.Request) bot.Locale {
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return bot.Chinese
		case strings.HasPrefix(tag, "en"):
			return bot.English
		}
	}
	return bot.English
}
