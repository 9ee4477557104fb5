# ruff: noqa: E501  (article prose: one paragraph a line, as staff type it in the admin)
"""The guide's first articles (售后指导), in Chinese and English: one per kind of request and
one per reason. ``seed_articles`` adds those that are missing and never touches one that exists,
so staff edits in the admin are kept; the data migration and the tests call it.

Numbers are placeholders filled in from the settings when the page is shown
(:mod:`guidance.text`): the windows ``{no_reason_days}``, ``{seller_fault_days}``,
``{warranty_days}``, and each deadline by its name in ``settings.AFTERSALES_DEADLINES``.
"""

ARTICLES = [
    # --- kinds -----------------------------------------------------------------------------
    {
        "topic": "refund_only",
        "slug": "refund-only",
        "title_en": "Refund only: money back, no parcel to send",
        "title_zh_hans": "仅退款：不用寄回商品，直接退钱",
        "body_en": """Choose a refund only when there is nothing to send back: the order has not been shipped yet, the parcel never reached you, or the problem is small enough that you would rather keep the item with part of the money back.

## When it fits
- Before shipping: you changed your mind or ordered by mistake. The seller has {seller_response_not_shipped} to answer; if they do not, the refund is approved and paid at once.
- On the way or lost: the parcel was shipped but has not arrived. The seller has {seller_response_shipped} to answer.
- After delivery: a fault, a missing part or a difference from the listing that you can live with. Ask for the part of the price that fairly covers it; the seller has {seller_response} to answer and may propose another amount.

## What to describe
Say what happened and how much you ask back, and why that amount. For a parcel that never arrived, give the date of the last tracking update.

## Photos that help
For a parcel that never came, a screenshot of the tracking page. For a problem with goods you keep, clear photos of the problem, so the seller does not need the item back to believe it.

## Money
The refund goes back to the payment method you paid with. You can never ask for more than you paid for the item, minus anything already refunded on it.""",
        "body_zh_hans": """没有东西需要寄回时，选择「仅退款」：订单还没发货、包裹一直没收到，或者问题不大、您愿意留下商品只退部分款项。

## 适用情况
- 未发货：拍错了或不想要了。卖家需在{seller_response_not_shipped}内处理，逾期未处理，系统自动同意并立即退款。
- 已发货未收到：包裹已寄出但迟迟未到。卖家需在{seller_response_shipped}内处理。
- 已收货：商品有瑕疵、缺少配件或与描述不符，但您愿意留下。请按问题程度申请部分退款；卖家需在{seller_response}内处理，也可能提出另一个金额与您协商。

## 需要说明什么
写清发生了什么、申请退多少钱以及理由。包裹未收到的，请写明物流最后一次更新的日期。

## 哪些凭证有帮助
未收到包裹：物流详情页截图。留下商品的部分退款：清晰拍出问题所在，让卖家不必收回商品也能确认。

## 退款去向
款项原路退回您付款时使用的支付方式。申请金额不能超过该商品的实付金额减去已退金额。""",
    },
    {
        "topic": "return_refund",
        "slug": "return-and-refund",
        "title_en": "Return and refund: send it back, get your money back",
        "title_zh_hans": "退货退款：寄回商品，全额退款",
        "body_en": """Choose a return when you have received the goods and want your money back for them. You send the item back to the shop; once it arrives and passes the seller's check, you are refunded.

## How long you have
- No reason needed (七天无理由) within {no_reason_days} days of delivery, as long as the item is unused and complete, with its tags and packaging.
- For a problem the seller is responsible for (a fault, not as described, wrong item, damaged, missing parts) within {seller_fault_days} days of delivery.
A shop may give you longer; the item on My orders shows your exact last day.

## Step by step
- The seller answers within {seller_response}. If they do not, the return is approved automatically, to the shop's default return address.
- You send the parcel within {buyer_ship_return} of the approval and enter the carrier and tracking number. If you do not, the request closes and nothing is refunded (you can file again while the window is open).
- The seller confirms receipt within {seller_confirm_receipt} of your shipping, or within {seller_confirm_after_sign_for} once the carrier says the parcel was signed for. If they do not, you are refunded automatically.
- The seller checks the goods within {seller_inspection}. If they record no result, the inspection counts as passed and you are refunded.

## Postage
For a no-reason return you pay the postage, unless the shop covers it or your order has return-shipping insurance. For a problem the seller is responsible for, the seller pays: keep the receipt and claim it on the request.

## Pack it well
Put everything back that came in the box, including accessories, manuals and gifts, and photograph the parcel before you seal it. A return that comes back used or incomplete may fail the inspection.""",
        "body_zh_hans": """已收到商品、想退货并拿回货款时，选择「退货退款」。您把商品寄回店铺，卖家收货并验货通过后，即为您退款。

## 申请期限
- 七天无理由：签收后{no_reason_days}天内，商品需未使用、配件齐全、吊牌和包装完好。
- 卖家责任（质量问题、与描述不符、发错货、运输损坏、少件）：签收后{seller_fault_days}天内。
店铺可以给出更长的期限；「我的订单」里每件商品都会显示您的最后申请日期。

## 处理流程
- 卖家需在{seller_response}内处理。逾期未处理，系统自动同意，退货地址为店铺默认地址。
- 同意后，请在{buyer_ship_return}内寄出并填写快递公司和运单号。逾期未寄，申请自动关闭，不退款（期限内可以重新申请）。
- 卖家需在您寄出后{seller_confirm_receipt}内确认收货；若物流显示已签收，则需在签收后{seller_confirm_after_sign_for}内确认。逾期未确认，系统自动退款。
- 卖家需在{seller_inspection}内完成验货。逾期未给出结果，视为验货通过，为您退款。

## 运费由谁承担
七天无理由退货由您承担运费，除非店铺承诺包退运费或订单有退货运费险。卖家责任的退货由卖家承担运费：请保留快递单据，在申请里提交运费报销。

## 包装提醒
把随货的配件、说明书和赠品一并寄回，封箱前拍一张照片。寄回的商品若已使用或不完整，可能无法通过验货。""",
    },
    {
        "topic": "exchange",
        "slug": "exchange",
        "title_en": "Exchange: the same item again, or another size or colour",
        "title_zh_hans": "换货：换一件新的，或换尺码、颜色",
        "body_en": """Choose an exchange when you want the item, just not this one: a faulty piece replaced by a sound one, or another size, colour or variant.

## How long you have
- Another size or variant because you ordered the wrong one: within {no_reason_days} days of delivery, tags on and unused.
- A replacement because of a problem the seller is responsible for: within {seller_fault_days} days of delivery.

## What to say
Say what you want instead: the same item again, or exactly which size, colour or variant. Check the delivery address for the replacement; it starts as the order's address.

## Step by step
- The seller answers within {seller_response}; if they do not, the exchange is approved automatically.
- You send the item back within {buyer_ship_return} and enter the tracking number.
- The seller confirms receipt within {seller_confirm_receipt} (or {seller_confirm_after_sign_for} after the carrier's sign-for) and checks the item within {seller_inspection}, then ships the replacement. An exchange is never "deemed passed": if the seller does not act in time, the platform steps in.
- You confirm the replacement within {buyer_confirm_receipt} of its shipping; otherwise receipt is confirmed automatically.

## Postage
The seller always pays for sending the replacement. The return postage follows the reason: yours for a size you chose, the seller's for a problem they are responsible for.

## If the variant is sold out
The seller may propose a refund instead. You can accept it or decline it; declining lets you revise your request or ask the platform to step in.""",
        "body_zh_hans": """想要这件商品、只是不要手上这一件时，选择「换货」：有问题的换一件好的，或者换尺码、颜色、款式。

## 申请期限
- 自己拍错尺码或款式：签收后{no_reason_days}天内，吊牌完好、未使用。
- 卖家责任的问题需要换新：签收后{seller_fault_days}天内。

## 需要说明什么
写清想换成什么：同款再来一件，还是具体哪个尺码、颜色或款式。确认新商品的收货地址，默认是订单的收货地址。

## 处理流程
- 卖家需在{seller_response}内处理，逾期未处理，系统自动同意换货。
- 请在{buyer_ship_return}内寄回商品并填写运单号。
- 卖家需在{seller_confirm_receipt}内确认收货（物流签收后为{seller_confirm_after_sign_for}），并在{seller_inspection}内验货，然后寄出新商品。换货不会「视为验货通过」：卖家逾期不处理，平台会介入。
- 新商品寄出后，请在{buyer_confirm_receipt}内确认收货，逾期系统自动确认。

## 运费由谁承担
寄出新商品的运费始终由卖家承担。寄回的运费看原因：自己选错尺码由您承担，卖家责任由卖家承担。

## 如果想换的款式没货了
卖家可能提出改为退款。您可以接受，也可以拒绝；拒绝后可以修改申请，或申请平台介入。""",
    },
    {
        "topic": "repair",
        "slug": "repair",
        "title_en": "Repair: free under warranty, at a quoted fee after it",
        "title_zh_hans": "维修：保修期内免费，过保按报价付费",
        "body_en": """Choose a repair when the item has a fault and you want it fixed rather than replaced or refunded. You send it to the shop (or its repair point), the shop repairs it and sends it back.

## Under warranty and after it
- Within the warranty, {warranty_days} days from delivery unless the shop gives more, the repair is free and the seller pays the postage to the repair point.
- After the warranty you can still ask. The shop first quotes a fee, within {seller_quote_repair_fee}; nothing is charged unless you accept it. If the shop quotes nothing in time, the request closes and you owe nothing. A paid repair includes its postage.

## What to describe
When the fault appears, how often, and what you already tried. Note the serial number if the item has one.

## Photos that help
A short video of the fault happening is the best evidence; otherwise photos of the fault and of the serial number or label.

## Step by step
- The seller answers within {seller_response}; you send the item within {buyer_ship_return}.
- The seller confirms receipt within {seller_confirm_receipt}, checks the item within {seller_inspection}, then has {seller_repair} to repair it and send it back. If the repair is late, the platform steps in.
- You confirm the repaired item within {buyer_confirm_receipt} of its shipping; otherwise receipt is confirmed automatically.""",
        "body_zh_hans": """商品有故障、希望修好而不是换新或退款时，选择「维修」。您把商品寄到店铺（或店铺指定的维修点），修好后店铺寄回给您。

## 保修期内与过保
- 保修期内（签收后{warranty_days}天，店铺可以更长）维修免费，寄往维修点的运费由卖家承担。
- 过保后也可以申请。店铺需先在{seller_quote_repair_fee}内报价，您同意后才收费。店铺逾期未报价，申请自动关闭，您无需付任何费用。付费维修的运费包含在维修费中。

## 需要说明什么
故障什么时候出现、出现的频率，以及您已经尝试过的办法。有序列号的商品请写上序列号。

## 哪些凭证有帮助
最好拍一段故障发生时的短视频；也可以拍故障部位以及序列号或铭牌的照片。

## 处理流程
- 卖家需在{seller_response}内处理；同意后请在{buyer_ship_return}内寄出。
- 卖家需在{seller_confirm_receipt}内确认收货，{seller_inspection}内完成检测，然后在{seller_repair}内修好寄回。维修超时，平台介入处理。
- 修好的商品寄出后，请在{buyer_confirm_receipt}内确认收货，逾期系统自动确认。""",
    },
    # --- reasons ---------------------------------------------------------------------------
    {
        "topic": "changed_mind",
        "slug": "changed-my-mind",
        "title_en": "Changed my mind (no-reason return)",
        "title_zh_hans": "不想要了（七天无理由退货）",
        "body_en": """You may send goods back without giving a reason within {no_reason_days} days of delivery (七天无理由). Before the order ships or while it is on its way, you can simply ask for your money back.

## What to describe
Nothing is required. A sentence helps the seller (for example "ordered two by mistake").

## Condition of the goods
The item must be unused and complete: tags on, accessories, manuals and gifts included, original packaging undamaged. Trying clothes on is fine; wearing them out is not.

## Photos that help
None are needed. A photo of the item with its tags before you pack it protects you if the seller later says something was missing.

## Postage
You pay the return postage, unless the shop's policy covers no-reason returns or your order has return-shipping insurance, which pays you a fixed amount once the parcel is signed for.""",
        "body_zh_hans": """签收后{no_reason_days}天内，您可以不说明理由退货（七天无理由）。商品还没发货或仍在运输途中时，可以直接申请仅退款。

## 需要说明什么
不必说明理由。简单写一句会方便卖家处理（例如「拍重复了」）。

## 商品状态要求
商品需未使用、完整：吊牌完好，配件、说明书、赠品齐全，原包装无损。衣服可以试穿，但不能穿着外出。

## 哪些凭证有帮助
不是必需的。打包前拍一张带吊牌的商品照片，可以在卖家称缺件时保护您。

## 运费由谁承担
退货运费由您承担，除非店铺承诺包退运费，或订单有退货运费险（包裹签收后由保险按固定金额赔付给您）。""",
    },
    {
        "topic": "wrong_size",
        "slug": "wrong-size",
        "title_en": "Bought the wrong size or variant",
        "title_zh_hans": "尺码或款式拍错了",
        "body_en": """Ordered the wrong size, colour or model? Within {no_reason_days} days of delivery you can exchange it for the right one, or return it for a refund, without any other reason.

## What to describe
For an exchange, say exactly what you need instead: "size L instead of M", "the blue one". If you are unsure, ask the seller in the request's messages first.

## Condition of the goods
Keep the tags on and the item unused, so the shop can sell it again.

## Photos that help
None are needed. A photo of the size label makes an exchange quicker.

## Postage
You pay to send it back, as for any no-reason return, unless the shop covers it or your order is insured. The seller pays to send the replacement.""",
        "body_zh_hans": """尺码、颜色或型号拍错了？签收后{no_reason_days}天内，无需其他理由，可以申请换成合适的，也可以退货退款。

## 需要说明什么
换货请写清具体要换成什么：例如「M码换L码」「换蓝色」。拿不准时，可以先在申请的留言里问问卖家。

## 商品状态要求
请保留吊牌、不要使用，以便店铺再次销售。

## 哪些凭证有帮助
不是必需的。拍一张尺码标签，换货会更快。

## 运费由谁承担
寄回的运费与七天无理由退货一样由您承担，除非店铺包退运费或订单有运费险。新商品的运费由卖家承担。""",
    },
    {
        "topic": "quality_problem",
        "slug": "quality-problem",
        "title_en": "Quality problem: broken, faulty or poorly made",
        "title_zh_hans": "质量问题：破损、故障或做工差",
        "body_en": """A fault that is the seller's responsibility: it does not work, it broke in normal use, stitching came apart, a defect that was there from the start. You can ask for a return, an exchange, a partial refund while keeping it, or a repair.

## How long you have
A return, exchange or refund within {seller_fault_days} days of delivery; a free repair within the warranty ({warranty_days} days), and a paid one after it.

## What to describe
What is wrong, when it first appeared and how you were using the item. Be specific: "the left earbud has no sound since day two" helps more than "it's broken".

## Photos that help
- A close-up of the defect and a photo of the whole item, so the seller sees where it is.
- For something that fails while working (a noise, a flicker, a device that switches off), a short video.
- The serial number or label, for electronics.

## Postage
The seller pays the return postage: pay the carrier, keep the receipt and claim it on the request.

## If the seller disagrees
If your request is turned down, you can add evidence and revise it, or ask the platform to step in. The platform decides on the evidence both sides provide, usually within {ruling_target}.""",
        "body_zh_hans": """属于卖家责任的质量问题：无法使用、正常使用中损坏、开线、出厂即有的瑕疵等。可以申请退货退款、换货、留下商品部分退款，或者维修。

## 申请期限
退货、换货、退款：签收后{seller_fault_days}天内；维修：保修期（{warranty_days}天）内免费，过保后可付费维修。

## 需要说明什么
问题是什么、第一次出现的时间，以及当时的使用方式。越具体越好：「第二天起左耳机没有声音」比「坏了」有用得多。

## 哪些凭证有帮助
- 问题部位的特写，加一张商品全貌，让卖家看清位置。
- 使用时才出现的故障（异响、闪屏、自动关机）请拍一段短视频。
- 电子产品请拍序列号或铭牌。

## 运费由谁承担
退货运费由卖家承担：先自行支付给快递，保留单据，在申请里提交报销。

## 如果卖家不同意
申请被拒绝后，您可以补充凭证后修改重新提交，也可以申请平台介入。平台根据双方提供的凭证作出处理，通常在{ruling_target}内完成。""",
    },
    {
        "topic": "not_as_described",
        "slug": "not-as-described",
        "title_en": "Not as described",
        "title_zh_hans": "与商品描述不符",
        "body_en": """The item differs from what the listing promised: another colour, size, material, capacity or function. This is the seller's responsibility.

## How long you have
Within {seller_fault_days} days of delivery, for a return, an exchange or a partial refund.

## What to describe
Quote what the listing says and what you received: "listed as 100% cotton, the label says 65% polyester"; "listed 2 m long, measures 1.6 m".

## Photos that help
- The item next to a tape measure or a scale where size or weight is the point.
- The label or packaging that shows the difference.
- A screenshot of the listing's description or picture, for comparison.

## Postage
The seller pays the return postage: keep the receipt and claim it on the request.""",
        "body_zh_hans": """收到的商品与商品页面描述不一致：颜色、尺寸、材质、容量或功能不同。这属于卖家责任。

## 申请期限
签收后{seller_fault_days}天内，可申请退货退款、换货或部分退款。

## 需要说明什么
对照写出商品页面怎么说、实际收到的是什么：例如「页面写纯棉，洗标为65%涤纶」「标称2米，实测1.6米」。

## 哪些凭证有帮助
- 涉及尺寸、重量时，拍商品与卷尺或秤的合照。
- 能体现差异的洗标、铭牌或包装。
- 商品页面描述或图片的截图，方便对比。

## 运费由谁承担
退货运费由卖家承担：请保留快递单据，在申请里提交报销。""",
    },
    {
        "topic": "wrong_item",
        "slug": "wrong-item",
        "title_en": "Wrong item sent",
        "title_zh_hans": "卖家发错货",
        "body_en": """You received something other than what you ordered: another product, colour, size or model. This is the seller's mistake.

## How long you have
Within {seller_fault_days} days of delivery. Most buyers ask for an exchange (the right item sent, the wrong one returned); a return and refund works too.

## What to describe
What you ordered and what arrived.

## Photos that help
- The item you received, with its label, barcode or SKU visible.
- The shipping label on the parcel, so the seller can trace the order.

## Postage
The seller pays both ways: keep the receipt for sending the wrong item back and claim it on the request. Do not use the item while you wait.""",
        "body_zh_hans": """收到的商品与所拍的不一致：发成了别的商品、颜色、尺码或型号。这是卖家的失误。

## 申请期限
签收后{seller_fault_days}天内。多数买家选择换货（寄回错发的，卖家补发正确的），也可以退货退款。

## 需要说明什么
您拍的是什么、实际收到的是什么。

## 哪些凭证有帮助
- 收到的商品，拍清标签、条码或货号。
- 包裹上的快递面单，方便卖家核对订单。

## 运费由谁承担
来回运费都由卖家承担：寄回错发商品的运费请保留单据，在申请里提交报销。等待处理期间请不要使用该商品。""",
    },
    {
        "topic": "damaged_in_transit",
        "slug": "damaged-in-transit",
        "title_en": "Damaged in transit",
        "title_zh_hans": "运输途中损坏",
        "body_en": """The parcel arrived crushed, wet or broken, and so did the item. Between you and the shop, the shop is responsible for getting it to you intact; it settles with the carrier itself.

## How long you have
Within {seller_fault_days} days of delivery for a return, exchange or partial refund, or a free repair under warranty. Report it as soon as you can: evidence taken at unpacking is the strongest.

## What to describe
What was damaged and how the box looked when it arrived. If you signed for it in front of the courier and noted the damage, say so.

## Photos that help
- The outer box from several sides, before you throw it away, with the shipping label readable.
- The packing inside (or the lack of it).
- The damage on the item itself.
An unboxing video is the best evidence of all.

## Postage
The seller pays the return postage: keep the receipt and claim it on the request.""",
        "body_zh_hans": """包裹到手时被压扁、浸湿或破损，商品也坏了。对您来说，把商品完好送到是店铺的责任，店铺会自行与快递公司处理。

## 申请期限
签收后{seller_fault_days}天内，可申请退货退款、换货、部分退款，或在保修期内免费维修。请尽快申请：开箱时留下的凭证最有说服力。

## 需要说明什么
哪里坏了，包裹送到时外箱是什么样子。如果当面签收时已向快递员指出破损，请写明。

## 哪些凭证有帮助
- 外箱多个角度的照片（扔掉前拍），面单清晰可读。
- 箱内的填充物（或没有填充物）。
- 商品本身的损坏部位。
开箱视频是最有力的凭证。

## 运费由谁承担
退货运费由卖家承担：请保留快递单据，在申请里提交报销。""",
    },
    {
        "topic": "missing_parts",
        "slug": "missing-parts",
        "title_en": "Missing parts or accessories",
        "title_zh_hans": "少件、缺配件",
        "body_en": """Something that should have been in the box is not: a charger, a screw set, the second shoe, a promised gift.

## How long you have
Within {seller_fault_days} days of delivery. A partial refund, keeping what you have, is often quickest; a return or an exchange is possible too.

## What to describe
List exactly what is missing, as the listing or the packing list names it.

## Photos that help
- Everything that was in the box, laid out together.
- The packing list or the listing's "what's in the box", if there is one.
- The outer box and its label, in case it was opened on the way.

## Postage
The seller pays the return postage, if the goods go back: keep the receipt and claim it on the request.""",
        "body_zh_hans": """箱子里少了应有的东西：充电器、螺丝包、另一只鞋、承诺的赠品等。

## 申请期限
签收后{seller_fault_days}天内。留下商品申请部分退款通常最快；也可以退货或换货。

## 需要说明什么
按商品页面或装箱单的名称，逐项列出缺少的东西。

## 哪些凭证有帮助
- 把箱内所有物品摆在一起拍一张。
- 装箱单或商品页面的「包装清单」。
- 外箱和面单，以防途中被拆过。

## 运费由谁承担
如需寄回，退货运费由卖家承担：请保留快递单据，在申请里提交报销。""",
    },
    {
        "topic": "not_received",
        "slug": "not-received",
        "title_en": "Not received",
        "title_zh_hans": "未收到货",
        "body_en": """The order was shipped but never reached you, or the tracking says delivered and you do not have it.

## Before you ask
Check the tracking first, then the usual places: a parcel locker, the building's reception, a neighbour. Many "lost" parcels are there.

## How it works
Ask for a refund only: there is nothing to send back. The seller has {seller_response_shipped} to answer; if they do not, the refund is approved and paid at once. The seller may ask the carrier to trace the parcel first.

## What to describe
The date of the last tracking update, and where you looked. If the tracking says delivered, say where and when it claims it was left.

## Photos that help
A screenshot of the tracking page. If the parcel turns up later, tell the seller in the request's messages.""",
        "body_zh_hans": """订单已发货却一直没收到，或者物流显示已签收但您并没有拿到。

## 申请之前
先查看物流详情，再找找常见的地方：快递柜、驿站、小区前台、邻居家。很多「丢失」的包裹其实在这些地方。

## 处理方式
申请仅退款即可，无需寄回任何东西。卖家需在{seller_response_shipped}内处理；逾期未处理，系统自动同意并立即退款。卖家可能会先让快递公司查件。

## 需要说明什么
物流最后一次更新的日期，以及您找过哪些地方。若物流显示已签收，请写明显示的签收地点和时间。

## 哪些凭证有帮助
物流详情页截图。如果之后包裹找到了，请在申请留言里告诉卖家。""",
    },
]


def seed_articles(article_model) -> int:
    """Adds the articles whose topic has none yet; returns how many. ``article_model`` is the
    model class (a data migration passes its historical one)."""
    existing = set(article_model.objects.values_list("topic", flat=True))
    missing = [article_model(**fields) for fields in ARTICLES if fields["topic"] not in existing]
    article_model.objects.bulk_create(missing)
    return len(missing)
