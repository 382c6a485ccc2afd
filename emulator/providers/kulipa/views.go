package kulipa

import (
	"strings"

	"github.com/kycemu/kycemu/emulator/state"
)

type userView struct {
	ID                 string           `json:"id"`
	Status             string           `json:"status"`
	FirstName          string           `json:"firstName"`
	LastName           string           `json:"lastName"`
	LegalName          *legalName       `json:"legalName"`
	Email              *string          `json:"email"`
	Phone              *Phone           `json:"phone"`
	DateOfBirth        *string          `json:"dateOfBirth"`
	CountryOfBirth     *string          `json:"countryOfBirth"`
	CountryOfResidence *string          `json:"countryOfResidence"`
	Address            *Address         `json:"address"`
	ShippingAddress    *ShippingAddress `json:"shippingAddress"`
	Wallet             *Wallet          `json:"wallet"`
	CompanyID          *string          `json:"companyId"`
	CreatedAt          string           `json:"createdAt"`
	UpdatedAt          string           `json:"updatedAt"`
}

// userViewOf is the API's user.
func userViewOf(r *state.Record) userView {
	u := state.Data[user](r)
	return userView{
		ID: r.ID, Status: u.Status, FirstName: u.FirstName, LastName: u.LastName, LegalName: u.LegalName,
		Email: u.Email, Phone: u.Phone, DateOfBirth: u.DateOfBirth, CountryOfBirth: u.CountryOfBirth,
		CountryOfResidence: u.CountryOfResidence, Address: u.Address, ShippingAddress: u.Shipping,
		Wallet: u.Wallet, CompanyID: u.CompanyID, CreatedAt: stampOf(r.Created), UpdatedAt: stampOf(r.Updated),
	}
}

type kycView struct {
	ID              string           `json:"id"`
	UserID          string           `json:"userId"`
	Type            string           `json:"type"`
	Status          string           `json:"status"`
	URL             *string          `json:"url"`
	RedirectURI     *string          `json:"redirectUri"`
	RejectionReason *string          `json:"rejectionReason"`
	ShippingAddress *ShippingAddress `json:"shippingAddress"`
	ExpiresAt       string           `json:"expiresAt"`
	SubmittedAt     *string          `json:"submittedAt"`
	VerifiedAt      *string          `json:"verifiedAt"`
	CreatedAt       string           `json:"createdAt"`
	UpdatedAt       string           `json:"updatedAt"`
}

// kycViewOf is the API's KYC.
func kycViewOf(r *state.Record) kycView {
	k := state.Data[kyc](r)
	return kycView{
		ID: r.ID, UserID: k.UserID, Type: k.Type, Status: r.Status, URL: k.URL, RedirectURI: k.RedirectURI,
		RejectionReason: k.Reason, ShippingAddress: k.Shipping, ExpiresAt: stampOf(k.ExpiresAt),
		SubmittedAt: stampPtr(k.SubmittedAt), VerifiedAt: stampPtr(k.VerifiedAt),
		CreatedAt: stampOf(r.Created), UpdatedAt: stampOf(r.Updated),
	}
}

type exportName struct {
	First  string  `json:"first"`
	Middle *string `json:"middle"`
	Last   string  `json:"last"`
}

type exportAddress struct {
	Street1 string  `json:"street1"`
	Street2 *string `json:"street2"`
	City    string  `json:"city"`
	State   *string `json:"state"`
	ZipCode string  `json:"zipCode"`
	Country string  `json:"country"`
}

type exportDocument struct {
	CountryCode    string  `json:"countryCode"`
	Type           string  `json:"type"`
	Number         string  `json:"number"`
	IssuedDate     string  `json:"issuedDate"`
	ExpirationDate string  `json:"expirationDate"`
	DocumentFront  *string `json:"documentFront"`
	DocumentBack   *string `json:"documentBack"`
}

type exportSelfie struct {
	LivenessCheck string `json:"livenessCheck"`
	FaceMatch     string `json:"faceMatch"`
}

type exportView struct {
	UserID           string         `json:"userId"`
	KycID            string         `json:"kycId"`
	VerifiedAt       string         `json:"verifiedAt"`
	Name             exportName     `json:"name"`
	EmailAddress     *string        `json:"emailAddress"`
	PhoneNumber      *string        `json:"phoneNumber"`
	DateOfBirth      string         `json:"dateOfBirth"`
	Address          exportAddress  `json:"address"`
	IdentityDocument exportDocument `json:"identityDocument"`
	Selfie           exportSelfie   `json:"selfie"`
}

// exportViewOf is the identity a verified full KYC collected.
func exportViewOf(r *state.Record) exportView {
	k := state.Data[kyc](r)
	id := k.Identity
	if id == nil {
		id = &identity{}
	}
	return exportView{
		UserID: k.UserID, KycID: r.ID, VerifiedAt: stampOf(*k.VerifiedAt),
		Name:         exportName{First: id.First, Last: id.Last},
		EmailAddress: id.Email, PhoneNumber: id.Phone, DateOfBirth: id.DateOfBirth,
		Address: exportAddress{Street1: id.Street1, Street2: id.Street2, City: id.City, State: id.State,
			ZipCode: id.Zip, Country: strings.ToUpper(id.Country)},
		IdentityDocument: exportDocument{CountryCode: strings.ToUpper(id.DocCountry), Type: id.DocType, Number: id.DocNumber,
			IssuedDate: id.Issued, ExpirationDate: id.Expires},
		Selfie: exportSelfie{LivenessCheck: "passed", FaceMatch: "match"},
	}
}
