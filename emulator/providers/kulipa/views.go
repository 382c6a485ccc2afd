package kulipa

import "strings"

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

// view is the API's user; the caller holds the tenant lock.
func (u *user) view() userView {
	return userView{
		ID: u.id, Status: u.status, FirstName: u.firstName, LastName: u.lastName, LegalName: u.legalName,
		Email: u.email, Phone: u.phone, DateOfBirth: u.dateOfBirth, CountryOfBirth: u.countryOfBirth,
		CountryOfResidence: u.countryOfResidence, Address: u.address, ShippingAddress: u.shipping,
		Wallet: u.wallet, CompanyID: u.companyID, CreatedAt: stampOf(u.created), UpdatedAt: stampOf(u.updated),
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

// view is the API's KYC; the caller holds the tenant lock.
func (k *kyc) view() kycView {
	return kycView{
		ID: k.id, UserID: k.user.id, Type: k.typ, Status: k.status, URL: k.url, RedirectURI: k.redirectURI,
		RejectionReason: k.reason, ShippingAddress: k.shipping, ExpiresAt: stampOf(k.expiresAt),
		SubmittedAt: stampPtr(k.submittedAt), VerifiedAt: stampPtr(k.verifiedAt),
		CreatedAt: stampOf(k.created), UpdatedAt: stampOf(k.updated),
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

// exportView is the identity a verified full KYC collected; the caller
// holds the tenant lock.
func (k *kyc) exportView() exportView {
	id := k.identity
	return exportView{
		UserID: k.user.id, KycID: k.id, VerifiedAt: stampOf(*k.verifiedAt),
		Name:         exportName{First: id.first, Last: id.last},
		EmailAddress: id.email, PhoneNumber: id.phone, DateOfBirth: id.dateOfBirth,
		Address: exportAddress{Street1: id.street1, Street2: id.street2, City: id.city, State: id.state,
			ZipCode: id.zip, Country: strings.ToUpper(id.country)},
		IdentityDocument: exportDocument{CountryCode: strings.ToUpper(id.docCountry), Type: id.docType, Number: id.docNumber,
			IssuedDate: id.issued, ExpirationDate: id.expires},
		Selfie: exportSelfie{LivenessCheck: "passed", FaceMatch: "match"},
	}
}
