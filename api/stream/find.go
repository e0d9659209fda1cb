package stream

// Find returns the call callID from any extension's current or recent
// calls (the newest step of it), for actions on a call such as creating
// a CRM contact for its caller.
func (h *Hub) Find(callID string) (Call, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, st := range h.exts {
		for _, c := range st.calls {
			if c.CallID == callID {
				return *c, true
			}
		}
		for _, c := range st.recent { // newest first
			if c.CallID == callID {
				return c, true
			}
		}
	}
	return Call{}, false
}
