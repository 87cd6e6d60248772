package llm

import "encoding/json"

// accumulator assembles the reply message from its events, block by block.
type accumulator struct {
	blocks []block
}

type block struct {
	typ      PartType
	buf      []byte
	id, name string
	sig      []byte
}

func (a *accumulator) at(i int, typ PartType) *block {
	for len(a.blocks) <= i {
		a.blocks = append(a.blocks, block{})
	}
	b := &a.blocks[i]
	if b.typ == "" {
		b.typ = typ
	}
	return b
}

// add records ev; a tool call's end event gets the whole call filled in.
func (a *accumulator) add(ev *Event) {
	switch ev.Type {
	case EventText:
		b := a.at(ev.Index, PartText)
		b.buf = append(b.buf, ev.Text...)
	case EventToolStart:
		b := a.at(ev.Index, PartToolUse)
		b.typ, b.id, b.name, b.sig = PartToolUse, ev.ToolCallID, ev.ToolName, ev.Signature
	case EventToolDelta:
		b := a.at(ev.Index, PartToolUse)
		b.buf = append(b.buf, ev.Text...)
	case EventToolEnd:
		b := a.at(ev.Index, PartToolUse)
		ev.ToolCallID, ev.ToolName, ev.Input, ev.Signature = b.id, b.name, b.input(), b.sig
	}
}

func (b *block) input() json.RawMessage {
	if len(b.buf) == 0 {
		return json.RawMessage("{}")
	}
	return json.RawMessage(append([]byte(nil), b.buf...))
}

// message returns the assistant message built so far; empty text blocks are dropped.
func (a *accumulator) message() Message {
	m := Message{Role: RoleAssistant}
	for i := range a.blocks {
		b := &a.blocks[i]
		switch b.typ {
		case PartText:
			if len(b.buf) > 0 {
				m.Parts = append(m.Parts, TextPart(string(b.buf)))
			}
		case PartToolUse:
			p := ToolUsePart(b.id, b.name, b.input())
			p.Signature = b.sig
			m.Parts = append(m.Parts, p)
		}
	}
	return m
}
