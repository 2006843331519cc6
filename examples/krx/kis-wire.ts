/**
 * The JSON of Korea Investment & Securities' Open API (domestic stock), as far as this adapter
 * reads it — names as KIS spells them. Every response is an envelope: `rt_cd` ("0" success),
 * `msg_cd` and `msg1` (the message), and `output` / `output1` / `output2`. Numbers are strings.
 *
 *   POST /oauth2/tokenP                                     → { access_token, token_type, expires_in }
 *   POST /uapi/domestic-stock/v1/trading/order-cash         (tr_id TTTC0802U buy, TTTC0801U sell; V… on paper)
 *   POST /uapi/domestic-stock/v1/trading/order-rvsecncl     (tr_id TTTC0803U: modify "01" / cancel "02")
 *   GET  /uapi/domestic-stock/v1/trading/inquire-balance    (tr_id TTTC8434R: holdings, cash, valuation)
 *   GET  /uapi/domestic-stock/v1/trading/inquire-daily-ccld (tr_id TTTC8001R: today's orders and fills)
 *   GET  /uapi/domestic-stock/v1/quotations/inquire-price   (tr_id FHKST01010100: price and daily limits)
 */
export interface KisEnvelope<O = unknown, O1 = unknown, O2 = unknown> {
  readonly rt_cd: string;
  readonly msg_cd: string;
  readonly msg1: string;
  readonly output?: O;
  readonly output1?: O1;
  readonly output2?: O2;
}

export interface KisToken {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in: number;
}

/** order-cash / order-rvsecncl `output`. */
export interface KisOrderAck {
  /** The KRX forwarding branch (needed to modify or cancel). */
  readonly KRX_FWDG_ORD_ORGNO: string;
  /** The order number. */
  readonly ODNO: string;
  /** HHmmss. */
  readonly ORD_TMD: string;
}

/** One order of inquire-daily-ccld `output1`. */
export interface KisOrderRow {
  readonly odno: string;
  readonly orgn_odno: string;
  readonly ord_gno_brno: string;
  /** "01" sell, "02" buy. */
  readonly sll_buy_dvsn_cd: '01' | '02';
  readonly pdno: string;
  /** "00" limit, "01" market. */
  readonly ord_dvsn_cd: string;
  readonly ord_qty: string;
  readonly ord_unpr: string;
  readonly tot_ccld_qty: string;
  /** Average fill price. */
  readonly avg_prvs: string;
  readonly rmn_qty: string;
  /** "Y" when cancelled. */
  readonly cncl_yn: 'Y' | 'N';
  /** Quantity refused by the exchange. */
  readonly rjct_qty: string;
  /** yyyyMMdd and HHmmss. */
  readonly ord_dt: string;
  readonly ord_tmd: string;
}

/** inquire-balance `output1` (a holding) and `output2[0]` (the account). */
export interface KisHolding {
  readonly pdno: string;
  readonly prdt_name: string;
  readonly hldg_qty: string;
  readonly pchs_avg_pric: string;
  readonly prpr: string;
  readonly evlu_pfls_amt: string;
}
export interface KisAccountTotals {
  /** Cash deposit. */
  readonly dnca_tot_amt: string;
  /** Total valuation (cash + holdings). */
  readonly tot_evlu_amt: string;
}

/** inquire-price `output`. */
export interface KisQuote {
  readonly stck_prpr: string;
  /** Upper and lower limit prices of the day. */
  readonly stck_mxpr: string;
  readonly stck_llam: string;
  /** Previous close. */
  readonly stck_sdpr: string;
  /** "Y" when trading is halted. */
  readonly temp_stop_yn: 'Y' | 'N';
}

/** The error codes the adapter classifies (`msg_cd`), by what they mean. */
export const KIS_ERRORS = {
  /** The access token is missing, invalid or expired. */
  token: ['EGW00121', 'EGW00123'],
  /** Too many requests per second. */
  rateLimited: ['EGW00201'],
  /** No such stock code. */
  unknownSymbol: ['APBK0013'],
  /** Not enough cash to order. */
  noCash: ['APBK0952'],
  /** The price is not on the tick grid, or beyond the day's limits, or the quantity is not whole. */
  invalidOrder: ['APBK0918', 'APBK0919', 'APBK1680'],
  /** No such order (cancel / modify). */
  noOrder: ['APBK0656'],
  /** Outside trading hours. */
  closed: ['APBK0042'],
} as const;
