/**
 * A local server on 127.0.0.1 that speaks the shape of Korea Investment & Securities' Open API
 * (domestic stock) as examples/krx/kis-wire.ts describes it — the token, cash orders, modify/cancel,
 * balance, today's orders, quotes — over a tiny KRX: whole won on the band's tick, ±30 % daily
 * limits from the previous close, whole shares, market orders filled at the price, limits filled
 * when the price reaches them. Written from KIS's published endpoint and field names; its `msg_cd`
 * values are the ones kis-wire.ts classifies.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Decimal } from 'tradewire';
import { dailyLimits, onTick } from '../../../examples/krx/krx-rules.js';

export const KIS_APP_KEY = 'PSfakeappkey0000000000';
export const KIS_APP_SECRET = 'fake-secret';
export const KIS_ACCOUNT = '50012345-01';

interface Row {
  odno: string;
  orgn_odno: string;
  ord_gno_brno: string;
  sll_buy_dvsn_cd: '01' | '02';
  pdno: string;
  ord_dvsn_cd: string;
  ord_qty: number;
  ord_unpr: number;
  tot_ccld_qty: number;
  notional: Decimal;
  cncl_yn: 'Y' | 'N';
  rjct_qty: number;
  ord_tmd: string;
}

export class FakeKisServer {
  readonly prices = new Map<string, Decimal>();
  readonly previousClose = new Map<string, Decimal>();
  readonly orders: Row[] = [];
  readonly requests: { method: string; path: string; trId?: string }[] = [];
  cash = new Decimal(50_000_000);
  private readonly holdings = new Map<string, { qty: number; cost: Decimal }>();
  private readonly token = 'fake-kis-token';
  private next = 1;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<FakeKisServer> {
    let fake!: FakeKisServer;
    const server = createServer((req, res) => void fake.handle(req, res));
    fake = new FakeKisServer(server);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((ok) => this.server.close(() => ok()));
  }

  /** Lists a stock at a price (its previous close, for the day's limits, unless given). */
  list(code: string, price: string, previousClose = price): void {
    this.prices.set(code, new Decimal(price));
    this.previousClose.set(code, new Decimal(previousClose));
    this.match(code);
  }

  setPrice(code: string, price: string): void {
    this.prices.set(code, new Decimal(price));
    this.match(code);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, string>) : {};
    const trId = req.headers.tr_id as string | undefined;
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname, ...(trId ? { trId } : {}) });
    const send = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(json));
    };
    const fail = (msg_cd: string, msg1: string): void => send(200, { rt_cd: '1', msg_cd, msg1 });
    const ok = (rest: Record<string, unknown>): void => send(200, { rt_cd: '0', msg_cd: 'MCA00000', msg1: '정상처리 되었습니다.', ...rest });

    if (url.pathname === '/oauth2/tokenP') {
      if (body.appkey !== KIS_APP_KEY || body.appsecret !== KIS_APP_SECRET) return send(403, { error_code: 'EGW00103', error_description: '유효하지 않은 AppKey입니다.' });
      return send(200, { access_token: this.token, token_type: 'Bearer', expires_in: 86_400 });
    }
    if (req.headers.authorization !== `Bearer ${this.token}` || req.headers.appkey !== KIS_APP_KEY) return send(403, { rt_cd: '1', msg_cd: 'EGW00123', msg1: '기간이 만료된 token 입니다.' });
    const account = `${body.CANO ?? url.searchParams.get('CANO')}-${body.ACNT_PRDT_CD ?? url.searchParams.get('ACNT_PRDT_CD')}`;

    switch (url.pathname) {
      case '/uapi/domestic-stock/v1/quotations/inquire-price': {
        const code = url.searchParams.get('FID_INPUT_ISCD') ?? '';
        const price = this.prices.get(code);
        if (!price) return fail('APBK0013', '종목코드가 없습니다.');
        const limits = dailyLimits(this.previousClose.get(code)!);
        return ok({ output: { stck_prpr: price.toFixed(0), stck_mxpr: limits.upper.toFixed(0), stck_llam: limits.lower.toFixed(0), stck_sdpr: this.previousClose.get(code)!.toFixed(0), temp_stop_yn: 'N' } });
      }
      case '/uapi/domestic-stock/v1/trading/order-cash': {
        if (account !== KIS_ACCOUNT) return fail('APBK0000', '계좌번호가 없습니다.');
        const price = this.prices.get(body.PDNO ?? '');
        if (!price) return fail('APBK0013', '종목코드가 없습니다.');
        const qty = Number(body.ORD_QTY);
        if (!Number.isInteger(qty) || qty <= 0) return fail('APBK1680', '주문수량을 확인하세요.');
        const limit = new Decimal(body.ORD_UNPR ?? '0');
        const limits = dailyLimits(this.previousClose.get(body.PDNO!)!);
        if (body.ORD_DVSN === '00' && (!onTick(limit) || limit.greaterThan(limits.upper) || limit.lessThan(limits.lower))) return fail('APBK0919', '주문가격을 확인하세요.');
        const buy = trId === 'TTTC0802U' || trId === 'VTTC0802U';
        if (buy && price.times(qty).greaterThan(this.cash)) return fail('APBK0952', '주문가능금액을 초과했습니다.');
        const odno = String(this.next++).padStart(10, '0');
        this.orders.push({ odno, orgn_odno: '', ord_gno_brno: '06010', sll_buy_dvsn_cd: buy ? '02' : '01', pdno: body.PDNO!, ord_dvsn_cd: body.ORD_DVSN!, ord_qty: qty, ord_unpr: limit.toNumber(), tot_ccld_qty: 0, notional: new Decimal(0), cncl_yn: 'N', rjct_qty: 0, ord_tmd: '090000' });
        this.match(body.PDNO!);
        return ok({ output: { KRX_FWDG_ORD_ORGNO: '06010', ODNO: odno, ORD_TMD: '090000' } });
      }
      case '/uapi/domestic-stock/v1/trading/order-rvsecncl': {
        const row = this.orders.find((o) => o.odno === body.ORGN_ODNO && o.cncl_yn === 'N' && o.tot_ccld_qty < o.ord_qty);
        if (!row) return fail('APBK0656', '처리할 주문이 없습니다.');
        if (body.RVSE_CNCL_DVSN_CD === '02') {
          row.cncl_yn = 'Y';
          return ok({ output: { KRX_FWDG_ORD_ORGNO: row.ord_gno_brno, ODNO: String(this.next++).padStart(10, '0'), ORD_TMD: '090001' } });
        }
        const limit = new Decimal(body.ORD_UNPR ?? '0');
        const limits = dailyLimits(this.previousClose.get(row.pdno)!);
        if (!onTick(limit) || limit.greaterThan(limits.upper) || limit.lessThan(limits.lower)) return fail('APBK0919', '정정가격을 확인하세요.');
        // A modification is a new order for the rest; the original is closed (KIS numbers the new one).
        row.cncl_yn = 'Y';
        const odno = String(this.next++).padStart(10, '0');
        this.orders.push({ ...row, odno, orgn_odno: row.odno, ord_qty: row.ord_qty - row.tot_ccld_qty, ord_unpr: limit.toNumber(), tot_ccld_qty: 0, notional: new Decimal(0), cncl_yn: 'N' });
        this.match(row.pdno);
        return ok({ output: { KRX_FWDG_ORD_ORGNO: row.ord_gno_brno, ODNO: odno, ORD_TMD: '090002' } });
      }
      case '/uapi/domestic-stock/v1/trading/inquire-balance': {
        let holdingsValue = new Decimal(0);
        const output1 = [...this.holdings].filter(([, h]) => h.qty > 0).map(([code, h]) => {
          const price = this.prices.get(code)!;
          holdingsValue = holdingsValue.plus(price.times(h.qty));
          const avg = h.cost.dividedBy(h.qty).toDecimalPlaces(4);
          return { pdno: code, prdt_name: code, hldg_qty: String(h.qty), pchs_avg_pric: avg.toFixed(), prpr: price.toFixed(0), evlu_pfls_amt: price.times(h.qty).minus(h.cost).toFixed(0) };
        });
        return ok({ output1, output2: [{ dnca_tot_amt: this.cash.toFixed(0), tot_evlu_amt: this.cash.plus(holdingsValue).toFixed(0) }] });
      }
      case '/uapi/domestic-stock/v1/trading/inquire-daily-ccld': {
        const output1 = this.orders.map((o) => ({
          odno: o.odno,
          orgn_odno: o.orgn_odno,
          ord_gno_brno: o.ord_gno_brno,
          sll_buy_dvsn_cd: o.sll_buy_dvsn_cd,
          pdno: o.pdno,
          ord_dvsn_cd: o.ord_dvsn_cd,
          ord_qty: String(o.ord_qty),
          ord_unpr: String(o.ord_unpr),
          tot_ccld_qty: String(o.tot_ccld_qty),
          avg_prvs: o.tot_ccld_qty ? o.notional.dividedBy(o.tot_ccld_qty).toDecimalPlaces(4).toFixed() : '0',
          rmn_qty: String(o.cncl_yn === 'Y' ? 0 : o.ord_qty - o.tot_ccld_qty),
          cncl_yn: o.cncl_yn,
          rjct_qty: String(o.rjct_qty),
          ord_dt: '20261123',
          ord_tmd: o.ord_tmd,
        }));
        return ok({ output1, output2: {} });
      }
      default:
        return send(404, { rt_cd: '1', msg_cd: 'EGW00000', msg1: 'no such API' });
    }
  }

  /** Fills what the price reaches: market orders at once, limits at their price or better. */
  private match(code: string): void {
    const price = this.prices.get(code);
    if (!price) return;
    for (const o of this.orders) {
      if (o.pdno !== code || o.cncl_yn === 'Y' || o.tot_ccld_qty >= o.ord_qty) continue;
      const buy = o.sll_buy_dvsn_cd === '02';
      const marketable = o.ord_dvsn_cd === '01' || (buy ? price.lessThanOrEqualTo(o.ord_unpr) : price.greaterThanOrEqualTo(o.ord_unpr));
      if (!marketable) continue;
      const qty = o.ord_qty - o.tot_ccld_qty;
      const at = o.ord_dvsn_cd === '01' ? price : new Decimal(o.ord_unpr);
      o.tot_ccld_qty += qty;
      o.notional = o.notional.plus(at.times(qty));
      const h = this.holdings.get(code) ?? { qty: 0, cost: new Decimal(0) };
      if (buy) {
        this.cash = this.cash.minus(at.times(qty));
        this.holdings.set(code, { qty: h.qty + qty, cost: h.cost.plus(at.times(qty)) });
      } else {
        this.cash = this.cash.plus(at.times(qty));
        const left = h.qty - qty;
        this.holdings.set(code, { qty: left, cost: left > 0 ? h.cost.times(left).dividedBy(h.qty) : new Decimal(0) });
      }
    }
  }
}
