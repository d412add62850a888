package bottest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// SealFeishu encrypts a push the way Feishu does when the app has an
// Encrypt Key: base64(iv ‖ AES-256-CBC with PKCS#7 padding), the AES key
// being sha256(encrypt key). Tests of the Feishu adapter and of
// cmd/pulse send pushes sealed by this one function, so they cannot drift
// apart from each other or from the adapter's decrypt.
func SealFeishu(encryptKey string, plain []byte) string {
	k := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	buf := append(append([]byte(nil), plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, aes.BlockSize+len(buf))
	if _, err := rand.Read(out[:aes.BlockSize]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], buf)
	return base64.StdEncoding.EncodeToString(out)
}

// SignFeishu is a push's X-Lark-Signature: sha256(timestamp + nonce +
// encrypt key + body) in hex.
func SignFeishu(timestamp, nonce, encryptKey string, body []byte) string {
	sum := sha256.Sum256([]byte(timestamp + nonce + encryptKey + string(body)))
	return hex.EncodeToString(sum[:])
}
