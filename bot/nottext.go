package bot

// notText answers a message Pulse cannot read: in a direct chat, where
// the person is talking to the bot, one sentence saying to send text; in a
// channel, where people share pictures with each other, nothing.
func (s *Service) notText(r *request) Response {
	if !r.ev.Direct {
		return Response{}
	}
	return s.say(r, "payloads_send_text", nil)
}
