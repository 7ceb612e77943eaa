package graph

import "fmt"

// Outline is the SVG path of p's box in its shape.
func (p Placed) Outline() string {
	x, y, w, h := p.X, p.Y, p.W, p.H
	r, b := x+w, y+h
	switch p.Shape {
	case Pill, Terminal:
		k := h / 2
		return fmt.Sprintf("M%.1f %.1f H%.1f A%.1f %.1f 0 0 1 %.1f %.1f H%.1f A%.1f %.1f 0 0 1 %.1f %.1fZ",
			x+k, y, r-k, k, k, r-k, b, x+k, k, k, x+k, y)
	case Octagon:
		c := 9.0
		return fmt.Sprintf("M%.1f %.1f H%.1f L%.1f %.1f V%.1f L%.1f %.1f H%.1f L%.1f %.1f V%.1f Z",
			x+c, y, r-c, r, y+c, b-c, r-c, b, x+c, x, b-c, y+c)
	case Hexagon:
		c := 12.0
		return fmt.Sprintf("M%.1f %.1f H%.1f L%.1f %.1f L%.1f %.1f H%.1f L%.1f %.1f Z",
			x+c, y, r-c, r, y+h/2, r-c, b, x+c, x, y+h/2)
	case Slant:
		c := 10.0
		return fmt.Sprintf("M%.1f %.1f H%.1f L%.1f %.1f H%.1f Z", x+c, y, r, r-c, b, x)
	case Notch:
		c := 12.0
		return fmt.Sprintf("M%.1f %.1f H%.1f L%.1f %.1f V%.1f H%.1f Z", x, y, r-c, r, y+c, b, x)
	}
	k := 4.0
	return fmt.Sprintf("M%.1f %.1f H%.1f Q%.1f %.1f %.1f %.1f V%.1f Q%.1f %.1f %.1f %.1f H%.1f Q%.1f %.1f %.1f %.1f V%.1f Q%.1f %.1f %.1f %.1fZ",
		x+k, y, r-k, r, y, r, y+k, b-k, r, b, r-k, b, x+k, x, b, x, b-k, y+k, x, y, x+k, y)
}

// CX is the horizontal centre of p, where its labels are anchored.
func (p Placed) CX() float64 { return p.X + p.W/2 }

// LabelY is the baseline of p's first line.
func (p Placed) LabelY() float64 {
	if p.Sub == "" {
		return p.Y + p.H/2 + FontSize*0.35
	}
	return p.Y + 18
}

// SubY is the baseline of p's second line.
func (p Placed) SubY() float64 { return p.Y + 35 }
