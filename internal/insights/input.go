package insights

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// Per-item caps of the review's input (characters), so one long message or reply cannot
// take the whole budget.
const (
	capReason  = 500
	capPrompt  = 1000
	capReply   = 2000
	capSummary = 2000
	capMessage = 1500
)

// input is the user-night as the model reads it, with the ids it may cite.
type input struct {
	text string
	// tokens is the estimated size of text.
	tokens int
	// feedback maps each feedback event's message id to its rating (the latest event).
	feedback map[string]string
	// messages and conversations are the ids present in the input.
	messages      map[string]bool
	conversations map[string]bool
	// omitted counts conversations left out for the budget.
	omitted int
}

// estimateTokens is the usual four characters per token.
func estimateTokens(s string) int { return len(s)/4 + 1 }

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + " […]"
}

// esc keeps data from closing the tags that frame it.
func esc(s string) string { return html.EscapeString(s) }

// buildInput renders the day, the feedback and the guidance within budget tokens: the
// guidance and every feedback event first (what the review must address), then the
// conversations, those with a thumbs-down first, each from its stored summary and its
// newest messages when it does not fit whole.
func buildInput(day Day, guidance string, budget int) *input {
	in := &input{feedback: map[string]string{}, messages: map[string]bool{}, conversations: map[string]bool{}}
	var b strings.Builder
	b.WriteString("<day>\n<current_guidance>\n")
	b.WriteString(esc(guidance))
	b.WriteString("\n</current_guidance>\n\n<feedback>\n")
	down := map[string]bool{}
	for _, f := range day.Feedback {
		var e strings.Builder
		fmt.Fprintf(&e, "<event message_id=%q conversation_id=%q rating=%q>\n", f.MessageID, f.ConversationID, ratingName(f.Rating))
		if f.Reason != "" {
			fmt.Fprintf(&e, "<reason>%s</reason>\n", esc(clip(f.Reason, capReason)))
		}
		fmt.Fprintf(&e, "<user_message>%s</user_message>\n<rated_reply>%s</rated_reply>\n</event>\n",
			esc(clip(f.Prompt, capPrompt)), esc(clip(f.Reply, capReply)))
		if estimateTokens(b.String())+estimateTokens(e.String()) > budget*2/3 {
			break // leave room for conversations
		}
		b.WriteString(e.String())
		in.feedback[f.MessageID] = f.Rating
		in.messages[f.MessageID] = true
		in.conversations[f.ConversationID] = true
		if f.Rating == "down" {
			down[f.ConversationID] = true
		}
	}
	b.WriteString("</feedback>\n\n<conversations>\n")
	order := make([]Conversation, 0, len(day.Conversations))
	for _, c := range day.Conversations {
		if down[c.ID] {
			order = append(order, c)
		}
	}
	for _, c := range day.Conversations {
		if !down[c.ID] {
			order = append(order, c)
		}
	}
	for i, c := range order {
		left := budget - estimateTokens(b.String()) - 40
		if left < 100 {
			in.omitted = len(order) - i
			break
		}
		text, ids := renderConversation(c, left)
		if text == "" {
			in.omitted = len(order) - i
			break
		}
		b.WriteString(text)
		in.conversations[c.ID] = true
		for _, id := range ids {
			in.messages[id] = true
		}
	}
	if in.omitted > 0 {
		fmt.Fprintf(&b, "<omitted conversations=\"%d\">left out for length</omitted>\n", in.omitted)
	}
	b.WriteString("</conversations>\n</day>")
	in.text = b.String()
	in.tokens = estimateTokens(in.text)
	return in
}

func ratingName(r string) string {
	if r == "" {
		return "cleared"
	}
	return r
}

// renderConversation renders c within left tokens: whole when it fits, else its stored
// summary and as many of its newest messages as fit. It returns "" when not even the
// start fits.
func renderConversation(c Conversation, left int) (string, []string) {
	head := fmt.Sprintf("<conversation id=%q title=%q>\n", c.ID, esc(clip(c.Title, 120)))
	msgs := make([]string, len(c.Messages))
	for i, m := range c.Messages {
		msgs[i] = fmt.Sprintf("<message id=%q role=%q>%s</message>\n", m.ID, m.Role, esc(clip(m.Content, capMessage)))
	}
	whole := head + strings.Join(msgs, "") + "</conversation>\n"
	ids := make([]string, len(c.Messages))
	for i, m := range c.Messages {
		ids[i] = m.ID
	}
	if estimateTokens(whole) <= left {
		return whole, ids
	}
	var summary string
	if c.Summary != "" {
		summary = "<summary_of_earlier_turns>" + esc(clip(c.Summary, capSummary)) + "</summary_of_earlier_turns>\n"
	}
	size := estimateTokens(head + summary + "</conversation>\n")
	if size > left {
		return "", nil
	}
	first := len(msgs)
	for first > 0 && size+estimateTokens(msgs[first-1]) <= left {
		first--
		size += estimateTokens(msgs[first])
	}
	if first == len(msgs) && summary == "" {
		return "", nil
	}
	return head + summary + strings.Join(msgs[first:], "") + "</conversation>\n", ids[first:]
}
