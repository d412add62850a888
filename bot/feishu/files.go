package feishu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/pulse-bot/pulse/bot"
)

// Feishu's upload limits (im/v1/images and im/v1/files).
const (
	maxImageBytes = 10 << 20
	maxFileBytes  = 30 << 20
	// uploadTTL keeps a keyed send's image_key or file_key, so a retried
	// delivery sends the uploaded resource again instead of uploading twice.
	uploadTTL = 48 * time.Hour
)

// imageMIMEs are the image types im/v1/images takes; other files go up
// through im/v1/files.
var imageMIMEs = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"image/bmp": true, "image/tiff": true, "image/x-icon": true,
}

var _ bot.FileSender = (*Adapter)(nil)

// SendFile uploads f and sends it as a message: an image (the scorecard
// chart) through im/v1/images and msg_type "image", anything else (a CSV
// or JSON export) through im/v1/files and msg_type "file". Addresses are as
// for Send; key becomes the message's uuid, so a retried send posts once.
func (a *Adapter) SendFile(ctx context.Context, to bot.Address, f bot.File, key string) (bot.MessageRef, error) {
	return a.sendFile(ctx, to, f, key, true)
}

// sendFile is SendFile with deliver's choice between a thread and a quote.
func (a *Adapter) sendFile(ctx context.Context, to bot.Address, f bot.File, key string, inThread bool) (bot.MessageRef, error) {
	msgType, content, err := a.uploaded(ctx, f, key)
	if err != nil {
		return bot.MessageRef{}, err
	}
	ref, err := a.post(ctx, to, msgType, content, key, inThread)
	if err != nil {
		return bot.MessageRef{}, fmt.Errorf("feishu file %s: %w", f.Name, err)
	}
	return ref, nil
}

// uploaded uploads f (or, for a key seen before, finds its earlier upload)
// and returns the message type and content that send it.
func (a *Adapter) uploaded(ctx context.Context, f bot.File, key string) (msgType, content string, err error) {
	cacheKey := "feishu:upload:" + key
	if key != "" {
		if raw, ok, err := a.cfg.Cache.CacheGet(ctx, cacheKey); err == nil && ok {
			if t, c, found := strings.Cut(raw, "|"); found {
				return t, c, nil
			}
		}
	}
	if len(f.Data) == 0 {
		return "", "", fmt.Errorf("feishu file %s: empty file", f.Name)
	}
	var body []byte
	if isImage(f) {
		imageKey, err := a.UploadImage(ctx, f.Data)
		if err != nil {
			return "", "", err
		}
		msgType = larkim.MsgTypeImage
		body, err = json.Marshal(larkim.MessageImage{ImageKey: imageKey})
		if err != nil {
			return "", "", fmt.Errorf("feishu image message: %w", err)
		}
	} else {
		fileKey, err := a.UploadFile(ctx, f.Name, f.Data)
		if err != nil {
			return "", "", err
		}
		msgType = larkim.MsgTypeFile
		body, err = json.Marshal(larkim.MessageFile{FileKey: fileKey})
		if err != nil {
			return "", "", fmt.Errorf("feishu file message: %w", err)
		}
	}
	content = string(body)
	if key != "" {
		if err := a.cfg.Cache.CacheSet(ctx, cacheKey, msgType+"|"+content, uploadTTL); err != nil {
			a.log.Warn().Err(err).Str("key", key).Msg("feishu upload key not cached")
		}
	}
	return msgType, content, nil
}

// isImage reports whether f goes up as an image: a type Feishu shows inline
// and within the image size limit. A larger picture is sent as a file.
func isImage(f bot.File) bool {
	mime, _, _ := strings.Cut(f.MIME, ";")
	return imageMIMEs[strings.ToLower(strings.TrimSpace(mime))] && len(f.Data) <= maxImageBytes
}

// UploadFile uploads a document (an export) as file_type "stream", which
// takes any format, and returns its file_key.
func (a *Adapter) UploadFile(ctx context.Context, name string, data []byte) (string, error) {
	if len(data) == 0 || len(data) > maxFileBytes {
		return "", fmt.Errorf("feishu upload file %s: %d bytes; Feishu takes 1 byte to 30 MB", name, len(data))
	}
	var resp *larkim.CreateFileResp
	err := a.retry(ctx, "upload file "+name, func() (*larkcore.ApiResp, larkcore.CodeError, error) {
		// A fresh reader per attempt: a retried upload sends the whole file again.
		req := larkim.NewCreateFileReqBuilder().Body(larkim.NewCreateFileReqBodyBuilder().
			FileType(larkim.CreateFileFileTypeStream).FileName(name).File(bytes.NewReader(data)).Build()).Build()
		var err error
		resp, err = a.im.File.Create(ctx, req)
		return apiResult(resp, err, func() (*larkcore.ApiResp, larkcore.CodeError) { return resp.ApiResp, resp.CodeError })
	})
	if err != nil {
		return "", fmt.Errorf("feishu upload file %s: %w", name, err)
	}
	if resp.Data == nil || deref(resp.Data.FileKey) == "" {
		return "", errors.New("feishu upload file: no file_key in the answer")
	}
	return deref(resp.Data.FileKey), nil
}
