package lookup

// A key is a normalised number packed into a uint64 so the index holds no
// strings per number: bit 63 is the "+" flag, bits 57..62 the digit count
// (leading zeros matter for plain digit keys), bits 0..56 the digits as a
// decimal value (at most maxKeyDigits = 17 digits, < 2^57).
type key uint64

const (
	keyPlus     = 1 << 63
	keyLenShift = 57
	keyValMask  = 1<<keyLenShift - 1
)

// packKey packs a normalised key ("+digits" or "digits"). ok is false for
// an empty key or one longer than maxKeyDigits.
func packKey(b []byte) (k key, ok bool) {
	var flag uint64
	if len(b) > 0 && b[0] == '+' {
		flag = keyPlus
		b = b[1:]
	}
	if len(b) == 0 || len(b) > maxKeyDigits {
		return 0, false
	}
	var v uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	return key(flag | uint64(len(b))<<keyLenShift | v), true
}

// packKeyString is packKey for a string.
func packKeyString(s string) (key, bool) {
	var buf [maxKeyDigits + 1]byte
	if len(s) > len(buf) {
		return 0, false
	}
	n := copy(buf[:], s)
	return packKey(buf[:n])
}

// digits returns the number of digits in k.
func (k key) digits() int { return int(uint64(k) >> keyLenShift & 0x3f) }

// tail returns the last n digits of k as a key of its own kind-less form
// (no "+" flag), or false when k has fewer than n digits.
func (k key) tail(n int) (key, bool) {
	if n <= 0 || k.digits() < n {
		return 0, false
	}
	p := uint64(1)
	for i := 0; i < n; i++ {
		p *= 10
	}
	return key(uint64(n)<<keyLenShift | (uint64(k)&keyValMask)%p), true
}

// String formats k back into its normalised text.
func (k key) String() string {
	n := k.digits()
	buf := make([]byte, 0, n+1)
	if uint64(k)&keyPlus != 0 {
		buf = append(buf, '+')
	}
	var d [maxKeyDigits]byte
	v := uint64(k) & keyValMask
	for i := n - 1; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return string(append(buf, d[:n]...))
}
