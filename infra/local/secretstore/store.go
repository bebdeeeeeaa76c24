// Package secretstore is the local stack's Secrets Manager: the secrets a
// template declares, with values made locally (never AWS's), served with the
// Secrets Manager API's GetSecretValue and rotated on request. It is a local
// stand-in only: no encryption, no policies, no rotation functions.
package secretstore

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// The staging labels the store keeps.
const (
	StageCurrent  = "AWSCURRENT"
	StagePrevious = "AWSPREVIOUS"
)

// ErrNotFound is returned for a secret, stage or version the store does not
// have; the API answers it with ResourceNotFoundException.
var ErrNotFound = errors.New("Secrets Manager can't find the specified secret")

// Generator makes a secret's values, as GenerateSecretString does on AWS:
// Length random characters (letters and digits only), or, with Template and
// Key, Template's JSON object with Key set to them. Value, if set, is used
// as it is instead (a SecretString property) and rotation keeps it.
type Generator struct {
	Length        int
	Template, Key string
	Value         string
}

func (g Generator) generate() (string, error) {
	if g.Value != "" {
		return g.Value, nil
	}
	n := g.Length
	if n <= 0 {
		n = 32 // Secrets Manager's default length
	}
	b := make([]byte, (n+1)/2)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	v := hex.EncodeToString(b)[:n]
	if g.Template == "" || g.Key == "" {
		return v, nil
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(g.Template), &obj); err != nil {
		return "", fmt.Errorf("SecretStringTemplate is not a JSON object: %w", err)
	}
	obj[g.Key] = v
	out, err := json.Marshal(obj)
	return string(out), err
}

// Version is one value of a secret.
type Version struct {
	ID, Value string
	Created   time.Time
	Stages    []string
}

// Value is a version of a secret with the secret's ARN and name.
type Value struct {
	ARN, Name string
	Version
}

type secret struct {
	arn, name         string
	gen               Generator
	current, previous *Version
}

// Store holds secrets by ARN. With a folder, each secret's current value is
// kept in a file named by its ARN (':' as '_'), its previous one next to it
// with ".previous", so values survive restarts.
type Store struct {
	dir     string
	mu      sync.Mutex
	secrets map[string]*secret
}

// New returns a store keeping values in dir ("" keeps them in memory only).
func New(dir string) *Store {
	return &Store{dir: dir, secrets: map[string]*secret{}}
}

// Declare adds the secret arn, with a value kept from before or a new one.
// Declaring a secret again changes nothing.
// Errors: arn is not a secret ARN; the value cannot be made or kept.
func (s *Store) Declare(arn string, gen Generator) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.declare(arn, gen)
	return err
}

func (s *Store) declare(arn string, gen Generator) (*secret, error) {
	if sec, ok := s.secrets[arn]; ok {
		return sec, nil
	}
	_, name, ok := strings.Cut(arn, ":secret:")
	if !ok || !strings.HasPrefix(arn, "arn:") || name == "" {
		return nil, fmt.Errorf("%q is not a Secrets Manager secret ARN", arn)
	}
	sec := &secret{arn: arn, name: name, gen: gen}
	sec.current, sec.previous = s.load(arn, "", StageCurrent), s.load(arn, ".previous", StagePrevious)
	if sec.current == nil {
		v, err := gen.generate()
		if err != nil {
			return nil, err
		}
		sec.current = newVersion(arn, v, time.Now(), StageCurrent)
		if err := s.save(arn, "", v); err != nil {
			return nil, err
		}
	}
	s.secrets[arn] = sec
	return sec, nil
}

// Current returns the current value of arn, declaring it with a default
// generator if the store does not have it yet (a dynamic reference to a
// secret the template does not declare).
// Errors: as Declare's.
func (s *Store) Current(arn string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, err := s.declare(arn, Generator{Length: 64})
	if err != nil {
		return "", err
	}
	return sec.current.Value, nil
}

// Get returns the version of secret id (its ARN, a partial ARN or its name)
// that versionID or stage names; neither means AWSCURRENT.
// Errors: ErrNotFound (wrapped, saying what is missing).
func (s *Store) Get(id, versionID, stage string) (Value, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec := s.find(id)
	if sec == nil {
		return Value{}, fmt.Errorf("%w.", ErrNotFound)
	}
	var v *Version
	switch {
	case versionID != "":
		for _, c := range []*Version{sec.current, sec.previous} {
			if c != nil && c.ID == versionID {
				v = c
			}
		}
		if v == nil || (stage != "" && !hasStage(v, stage)) {
			return Value{}, fmt.Errorf("%w value for VersionId: %s", ErrNotFound, versionID)
		}
	case stage == "" || stage == StageCurrent:
		v = sec.current
	case stage == StagePrevious && sec.previous != nil:
		v = sec.previous
	default:
		return Value{}, fmt.Errorf("%w value for staging label: %s", ErrNotFound, stage)
	}
	out := Value{ARN: sec.arn, Name: sec.name, Version: *v}
	out.Stages = append([]string(nil), v.Stages...)
	return out, nil
}

func hasStage(v *Version, stage string) bool {
	for _, s := range v.Stages {
		if s == stage {
			return true
		}
	}
	return false
}

// find looks a secret up by ARN, by name, or by an ARN without its suffix.
func (s *Store) find(id string) *secret {
	if sec, ok := s.secrets[id]; ok {
		return sec
	}
	for _, sec := range s.secrets {
		if sec.name == id || (strings.HasPrefix(id, "arn:") && strings.HasPrefix(sec.arn, id+"-")) {
			return sec
		}
	}
	return nil
}

// Rotate makes a new current value for arn; the current one becomes the
// previous one, and the previous one is dropped, as a rotation does.
// Errors: ErrNotFound for a secret the store does not have; the value
// cannot be made or kept.
func (s *Store) Rotate(arn string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sec, ok := s.secrets[arn]
	if !ok {
		return fmt.Errorf("%w: %s", ErrNotFound, arn)
	}
	v, err := sec.gen.generate()
	if err != nil {
		return err
	}
	now := time.Now()
	prev := *sec.current
	prev.Stages = []string{StagePrevious}
	next := newVersion(arn, v, now, StageCurrent)
	if next.ID == prev.ID { // a fixed SecretString: a new version of the same value
		next.ID = versionID(arn+now.String(), v)
	}
	if err := s.save(arn, ".previous", prev.Value); err != nil {
		return err
	}
	if err := s.save(arn, "", v); err != nil {
		return err
	}
	sec.previous, sec.current = &prev, next
	return nil
}

func newVersion(arn, value string, created time.Time, stage string) *Version {
	return &Version{ID: versionID(arn, value), Value: value, Created: created, Stages: []string{stage}}
}

// versionID derives a version id (a UUID's shape) from the value, so a kept
// value has the same id after a restart.
func versionID(arn, value string) string {
	h := sha256.Sum256([]byte(arn + "\x00" + value))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func (s *Store) path(arn, suffix string) string {
	return filepath.Join(s.dir, strings.ReplaceAll(arn, ":", "_")+suffix)
}

func (s *Store) load(arn, suffix, stage string) *Version {
	if s.dir == "" {
		return nil
	}
	p := s.path(arn, suffix)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	created := time.Now()
	if st, err := os.Stat(p); err == nil {
		created = st.ModTime()
	}
	return newVersion(arn, string(b), created, stage)
}

func (s *Store) save(arn, suffix, value string) error {
	if s.dir == "" {
		return nil
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return err
	}
	p := s.path(arn, suffix)
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(value), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}
